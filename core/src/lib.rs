//! The necid core client (under construction).
