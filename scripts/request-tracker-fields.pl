# Guichet's custom fields on Request Tracker tickets (rt-setup-database-5 --action insert).
# Applied to every queue: the reference is the idempotency key, GuichetStatus keeps Guichet's
# finer ITIL status where RT's lifecycle has fewer states.
@CustomFields = (
    {
        Name        => 'GuichetReference',
        Type        => 'FreeformSingle',
        LookupType  => 'RT::Queue-RT::Ticket',
        ApplyTo     => 0,
        Description => "Guichet's ticket reference",
    },
    {
        Name        => 'Category',
        Type        => 'SelectSingle',
        LookupType  => 'RT::Queue-RT::Ticket',
        ApplyTo     => 0,
        Description => 'Guichet category',
        Values      => [
            map { { Name => $_ } } qw(hardware software network security access request other)
        ],
    },
    {
        Name        => 'Impact',
        Type        => 'SelectSingle',
        LookupType  => 'RT::Queue-RT::Ticket',
        ApplyTo     => 0,
        Description => 'Guichet impact',
        Values      => [ map { { Name => $_ } } qw(person team organisation) ],
    },
    {
        Name        => 'Urgency',
        Type        => 'SelectSingle',
        LookupType  => 'RT::Queue-RT::Ticket',
        ApplyTo     => 0,
        Description => 'Guichet urgency',
        Values      => [ map { { Name => $_ } } qw(low high critical) ],
    },
    {
        Name        => 'GuichetStatus',
        Type        => 'FreeformSingle',
        LookupType  => 'RT::Queue-RT::Ticket',
        ApplyTo     => 0,
        Description => "Guichet's ITIL status",
    },
);
1;
