//! The necid emulator (under construction).
