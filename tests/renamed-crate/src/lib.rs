//! Empty: this package only holds a test of the macros under a renamed dependency.
