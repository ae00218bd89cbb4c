# Custom fields on Request Tracker assets that Guichet reads (rt-setup-database-5 --action
# insert), named as in RT's own assets tutorial where it has one: the kind of device (Type),
# its model, serial number and purchase date. Applied to every catalog.
@CustomFields = (
    map {
        {
            Name        => $_->[0],
            Type        => $_->[1],
            LookupType  => 'RT::Catalog-RT::Asset',
            ApplyTo     => 0,
            Description => $_->[2],
        }
    } (
        [ 'Type',          'FreeformSingle', 'Laptop Computer, Desktop Computer, Monitor, Mobile Phone, Software...' ],
        [ 'Model',         'FreeformSingle', 'Manufacturer and model, e.g. Dell Latitude 5550' ],
        [ 'Serial Number', 'FreeformSingle', "The manufacturer's serial number" ],
        [ 'Purchase Date', 'Date',           'When the asset was bought' ],
        [ 'Issue Date',    'Date',           'When the asset was handed to its holder' ],
    )
);
1;
