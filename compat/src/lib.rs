//! Shared by the compat tests: nothing here; each test is a standalone program.
