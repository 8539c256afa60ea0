//! The `canopy` binary itself, as a newcomer runs it: it starts (its TLS clients find a crypto
//! provider without the test harness's help) and writes plain logs when they are not a
//! terminal's.

use std::process::Command;

#[test]
fn the_binary_seeds_the_demo_and_logs_without_colour_codes() {
    let dir = std::env::temp_dir().join(format!(
        "canopy-binary-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = Command::new(env!("CARGO_BIN_EXE_canopy"))
        .current_dir(&dir)
        .args([
            "--database-url",
            &format!("sqlite://{}/canopy.db?mode=rwc", dir.display()),
            "--argon2-memory-kib",
            "1024",
            "--argon2-iterations",
            "1",
            "seed-demo",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run canopy");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Demo logins"), "{stdout}");
    assert!(stdout.contains("INFO"), "it logs: {stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "no ANSI escape codes in a log that is not a terminal: {stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
