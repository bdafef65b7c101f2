//! stub
pub fn x() {}
