"""What NSX objects are: the kind table, the shared object vocabulary, ownership and
protection, and NSX address strings. Pure data and functions; imports only nsxplan.errors."""
