//! Desktop entry point of the 一村一警 app; phones enter through `lib.rs`'s mobile entry point.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    beatbook_app_lib::run()
}
