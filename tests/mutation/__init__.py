"""`make mutation`: mutation testing of the domain and the scope rules (see __main__)."""
