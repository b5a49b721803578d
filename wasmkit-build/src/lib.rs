//! Building plugins with their own settings, and verifying the artifacts.
