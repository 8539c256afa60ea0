//! Canopy calendars (seed 002's Service, Staff and Appointment): what a sub-account's clients
//! can book, who and what can be booked (staff, rooms, equipment), when each is available in
//! its own time zone, and the free slots that follow.
//!
//! This first part is the slot engine ([`slots`]): pure functions from availability, existing
//! bookings and a service's rules to free slot starts, correct across daylight-saving changes.
//! The tables, the booking itself (which the database keeps from double-booking) and the API
//! come next.
//!
//! Architecture Invariant: every instant is UTC; a local time exists only inside [`slots`],
//! turned into UTC through the resource's IANA zone (`chrono-tz`) the moment it is read.

pub mod slots;
