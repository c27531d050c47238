//! Every kind of bomb (`benches/support/bombs.rs`: aliases, merge keys, many keys, long text,
//! nested anchors, deep nesting, a long line of collections, duplicates, oversized files),
//! for roles files and API definitions, ends with its error and exit 2 within a budget of
//! time and memory.
//!
//! Memory is the child's own peak resident set (`ru_maxrss` from `wait4`). The kernel counts
//! it from before the child runs rolegen, while it is still a copy of the test process, so
//! this file holds this one test alone: the process that starts rolegen stays small. The
//! budgets are loose enough for a debug build on a busy machine; the release build's figures
//! are measured by `examples/bombs.rs` (README, "Limits").

#[path = "../benches/support/bombs.rs"]
mod bombs;
mod common;

use common::{rolegen, scratch};
use std::fs;
use std::time::Duration;

#[cfg(target_os = "linux")]
#[test]
fn every_bomb_is_refused_quickly_in_little_memory() {
    for bomb in bombs::bombs() {
        let dir = scratch(&format!("bomb-{}", bomb.file));
        bomb.write(&dir);
        let mut cmd = rolegen();
        cmd.current_dir(&dir)
            .args(bomb.args())
            .arg("-q")
            .env("NO_COLOR", "1");
        let m = bombs::measure(cmd);
        // Seen with `--nocapture`: how far each is from its budget.
        eprintln!("{}: {:?}, {} KiB", bomb.name, m.wall, m.max_rss_kib);
        let err = String::from_utf8_lossy(&m.stderr);
        let shown = &err[..err.len().min(2000)];
        assert_eq!(m.code, Some(2), "{}: {shown}", bomb.name);
        assert!(
            err.contains(&format!("error[{}]", bomb.code)) && err.contains(bomb.message),
            "{}: {shown}",
            bomb.name
        );
        assert!(
            m.wall < Duration::from_secs(5),
            "{}: {:?}",
            bomb.name,
            m.wall
        );
        assert!(
            m.max_rss_kib < 50 * 1024,
            "{}: {} KiB",
            bomb.name,
            m.max_rss_kib
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
