//! Thin binary: everything is built in the library so tests can reach it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    stockade_admin_lib::run();
}
