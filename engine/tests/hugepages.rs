//! `hugepages/setup.sh`: a dry run says what it would reserve and mount and changes
//! nothing; bad arguments exit 2 with one line.

mod common;
use common::*;
use std::process::Command;

#[test]
fn dry_run_prints_the_plan() {
    let out = Command::new("bash")
        .arg(root().join("hugepages/setup.sh"))
        .args(["--size", "1G", "--pages", "8", "--dry-run"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(
            "would write 8 to /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages (8192 MiB"
        ),
        "{text}"
    );
    assert!(text.contains("nothing changed"), "{text}");
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["--size", "3M", "--pages", "1"][..],
        &["--size", "2M"],
        &["--bogus"],
    ] {
        let out = Command::new("bash")
            .arg(root().join("hugepages/setup.sh"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).lines().count(),
            1,
            "{args:?}"
        );
    }
}
