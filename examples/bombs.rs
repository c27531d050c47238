//! Time and peak memory of `rolegen` refusing each kind of bomb (`benches/support/bombs.rs`,
//! the files the bomb test `tests/bombs.rs` uses), and for scale what two large files cost
//! that are not bombs: the README's table under "Limits".
//!
//! `cargo build --release && cargo run --release --example bombs [-- [ROLEGEN] [RUNS]]`
//!
//! ROLEGEN is the binary to measure (default: the release `rolegen` beside this example,
//! whose answers are checked; another one, an older build say, is measured as it answers).
//! Each file is run RUNS times (default 5), each in a fresh process; the table shows the
//! fastest wall time and the highest peak resident memory (`ru_maxrss` of the child, from
//! `wait4`), and the first line of what rolegen said. Linux only.
//!
//! The kernel counts a child's memory from before it runs rolegen, while it is still a copy
//! of the process that starts it; so the files are written first, and a fresh process of
//! this example, which holds none of them, starts rolegen and prints its own peak, the floor
//! under every figure.

#[path = "../benches/support/bombs.rs"]
mod bombs;

use bombs::{Bomb, Content, Reader};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        return measure(
            Path::new(&args[1]),
            Path::new(&args[2]),
            args[3].parse().unwrap(),
            args[4] == "check",
        );
    }
    let check = args.is_empty();
    let rolegen = args.first().map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        // target/release/examples/bombs → target/release/rolegen
        exe.parent()
            .and_then(|p| p.parent())
            .expect("target dir")
            .join("rolegen")
    });
    let runs: usize = args.get(1).map_or(5, |r| r.parse().expect("RUNS"));
    assert!(rolegen.is_file(), "no binary at {}", rolegen.display());
    let dir = std::env::temp_dir().join(format!("rolegen-bombs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for bomb in bombs::bombs() {
        bomb.write(&dir);
    }
    // Not bombs: what a large real file, and one past the ceiling of values, cost to read.
    let synth = std::fs::File::create(dir.join("routes.yaml")).unwrap();
    let status = Command::new(&rolegen)
        .args(["synth", "--routes", "100000"])
        .stdout(synth)
        .status()
        .unwrap();
    assert!(status.success());
    let mut values = BufWriter::new(std::fs::File::create(dir.join("values.yaml")).unwrap());
    values.write_all(b"x: [1").unwrap();
    for _ in 1..4_000_010 {
        values.write_all(b", 1").unwrap();
    }
    values.write_all(b"]\n").unwrap();
    drop(values);
    let mut edge = BufWriter::new(std::fs::File::create(dir.join("shared.yaml")).unwrap());
    edge.write_all(b"s: &s [a, b, c, d, e, f, g, h]\nx:\n")
        .unwrap();
    for _ in 0..110_000 {
        edge.write_all(b"  - *s\n").unwrap();
    }
    drop(edge);

    let status = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .arg(&dir)
        .arg(&rolegen)
        .arg(runs.to_string())
        .arg(if check { "check" } else { "as-is" })
        .status()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(status.success());
}

/// The bombs, and the two large files, as written in `dir`.
fn inputs() -> Vec<Bomb> {
    let mut all = bombs::bombs();
    all.push(Bomb {
        name: "(not a bomb) 100,000 routes",
        what: "`rolegen synth --routes 100000`, read whole (`explain`)".into(),
        file: "routes.yaml",
        content: Content::Size(0),
        reader: Reader::Roles,
        code: "",
        message: "",
    });
    all.push(Bomb {
        name: "(not a bomb) 4,000,010 values",
        what: "`x: [1, 1, …]`: past the ceiling of values".into(),
        file: "values.yaml",
        content: Content::Size(0),
        reader: Reader::Roles,
        code: "yaml-syntax",
        message: "more than 4,000,000 values",
    });
    all.push(Bomb {
        name: "(not a bomb) 110,000 aliases of a list of 8",
        what: "990,000 values from 110,000 written: within the ratio, read whole".into(),
        file: "shared.yaml",
        content: Content::Size(0),
        reader: Reader::Roles,
        code: "unknown-key",
        message: "unknown key `s`",
    });
    all
}

fn measure(dir: &Path, rolegen: &Path, runs: usize, check: bool) {
    println!("| input | file | would make | time | peak memory | rolegen says |");
    println!("|---|---:|---|---:|---:|---|");
    for bomb in inputs() {
        let args = if bomb.code.is_empty() {
            // Read the file and build its model, without CloudFormation's limits in the way.
            ["-c", bomb.file, "explain", "GET /orders"]
                .map(String::from)
                .to_vec()
        } else {
            bomb.args()
        };
        let (mut best, mut peak, mut said) = (Duration::MAX, 0, String::new());
        for _ in 0..runs {
            let mut cmd = Command::new(rolegen);
            cmd.current_dir(dir)
                .args(&args)
                .arg("-q")
                .env("NO_COLOR", "1");
            let m = bombs::measure(cmd);
            let err = String::from_utf8_lossy(&m.stderr);
            if check && !bomb.code.is_empty() {
                assert!(
                    err.contains(&format!("error[{}]", bomb.code)) && err.contains(bomb.message),
                    "{}: {}",
                    bomb.name,
                    &err[..err.len().min(2000)]
                );
            }
            best = best.min(m.wall);
            peak = peak.max(m.max_rss_kib);
            said = err.lines().next().unwrap_or("").to_string();
        }
        if said.is_empty() {
            said = "(answers)".into();
        }
        let said = said.replace('|', "\\|");
        let said = match said.char_indices().nth(110) {
            Some((i, _)) => format!("{}…", &said[..i]),
            None => said,
        };
        let len = std::fs::metadata(dir.join(bomb.file)).unwrap().len();
        println!(
            "| {} | {} | {} | {:.1} ms | {:.1} MB | `{said}` |",
            bomb.name,
            size(len),
            bomb.what,
            best.as_secs_f64() * 1000.0,
            peak as f64 / 1024.0,
        );
    }
    println!(
        "\n(The measuring process's own peak, a floor under every figure: {:.1} MB.)",
        vm_hwm_kib() as f64 / 1024.0
    );
}

/// `448 B`, `26 KB`, `65 MiB`.
fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1 << 20) as f64),
        n if n >= 10_000 => format!("{} KB", n / 1000),
        n => format!("{n} B"),
    }
}

/// This process's peak resident memory, in KiB.
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
