//! The field table of every record kind; it lives in the model (`beatbook_model::fields`) so
//! the app's forms and this command share one table.

pub use beatbook_model::fields::*;
