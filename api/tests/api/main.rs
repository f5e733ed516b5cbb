//! Integration tests: the real server on a port, a fresh database per test, on SQLite
//! by default and on Postgres when `TEST_DATABASE_URL` is set.

mod access;
mod accounts;
mod buyers;
mod cache;
mod catalog;
mod catalog_edit;
mod cli;
mod cluster;
mod commerce;
mod compression;
mod connections;
mod events;
mod faults;
mod fuzz;
mod helpers;
mod hostile;
mod http;
mod inventory;
mod inventory_api;
mod nodes;
mod outage;
mod outbox;
mod payments;
mod persisted;
mod pg_restart;
mod process;
mod readme;
mod reminders;
mod replicas;
mod schema;
mod search;
mod signals;
mod ws;
