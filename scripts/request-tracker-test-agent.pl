# A second Request Tracker account for the contract tests: an IT agent who changes tickets
# upstream (status, owner, replies), so Guichet sees changes made by someone else than itself.
@Users = (
    {
        Name         => 'guichet-agent',
        Password     => 'guichet-agent-pass',
        EmailAddress => 'agent@localhost',
        RealName     => 'Test Agent',
        Privileged   => 1,
    },
);
@ACL = ( { UserId => 'guichet-agent', Right => 'SuperUser' } );
1;
