//! Rebuilds the server when a migration is added or changed: the migrations
//! are embedded by `sqlx::migrate!`, which cargo does not watch by itself.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
