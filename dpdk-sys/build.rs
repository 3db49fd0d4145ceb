//! Build script for `dpdk-sys`: finds DPDK with pkg-config, generates the bindings with
//! bindgen and compiles the C shim that exports DPDK's static-inline functions.
//!
//! Every missing prerequisite stops the build with one line that says what to install.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn fail(msg: &str) -> ! {
    // One line, prefixed so it stands out in cargo's output.
    eprintln!("error: {msg}");
    println!("cargo::error={msg}");
    std::process::exit(1);
}

fn main() {
    println!("cargo:rerun-if-changed=shim/shim.c");
    println!("cargo:rerun-if-changed=shim/shim.h");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    if Command::new("pkg-config")
        .arg("--version")
        .output()
        .is_err()
    {
        fail("pkg-config is missing: install it with `apt-get install -y pkg-config`");
    }
    let dpdk = match pkg_config::Config::new()
        .atleast_version("22.11")
        .cargo_metadata(true)
        .probe("libdpdk")
    {
        Ok(lib) => lib,
        Err(e) => {
            let why = e.to_string();
            let first = why.lines().next().unwrap_or("not found").to_string();
            fail(&format!(
                "DPDK (libdpdk >= 22.11) not found by pkg-config ({first}): install it with `apt-get install -y libdpdk-dev`"
            ))
        }
    };

    // Compile flags pkg-config gives (-include rte_config.h, -march, include dirs).
    let cflags_out = Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output()
        .unwrap_or_else(|_| fail("pkg-config --cflags libdpdk failed"));
    let cflags: Vec<String> = String::from_utf8_lossy(&cflags_out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();

    // The C shim.
    let mut build = cc::Build::new();
    build.file("shim/shim.c").opt_level(3).warnings(false);
    for flag in &cflags {
        build.flag(flag);
    }
    build.compile("vigil_dpdk_shim");
    // The ring PMD's and vdev bus' own functions are not in libdpdk's default link line.
    println!("cargo:rustc-link-lib=dylib=rte_bus_vdev");
    let _ = dpdk;

    // bindgen over the headers the engine uses (libclang is needed here).
    let mut clang_args: Vec<String> = cflags.clone();
    clang_args.push("-Wno-everything".into());
    let bindings = std::panic::catch_unwind(|| {
        bindgen::Builder::default()
            .header("shim/shim.h")
            .clang_args(&clang_args)
            .allowlist_function("rte_(eal|lcore|get_next_lcore|get_main_lcore|socket_id|pktmbuf_pool_create|mempool_(free|avail_count|in_use_count)|eth_(dev_count_avail|dev_get_port_by_name|dev_info_get|dev_configure|rx_queue_setup|tx_queue_setup|dev_start|dev_stop|dev_close|stats_get|stats_reset|xstats_get|xstats_get_names|dev_rss_reta_update|dev_rss_hash_update|promiscuous_enable|dev_socket_id|dev_is_valid_port|dev_get_name_by_port)|vdev_(init|uninit)|ring_(create|free)|strerror|get_tsc_hz|pktmbuf_free_bulk|version|mbuf_dyn_rx_timestamp_register).*")
            .allowlist_function("vigil_.*")
            .allowlist_type("rte_mbuf|rte_eth_conf|rte_eth_dev_info|rte_eth_stats|rte_eth_xstat|rte_eth_xstat_name|rte_eth_rss_reta_entry64|rte_eth_rxconf|rte_eth_txconf|rte_ring|rte_mempool|rte_eth_rss_conf")
            .allowlist_var("RING_F_.*")
            .allowlist_var("RTE_(ETH_RSS_.*|MAX_ETHPORTS|ETH_RETA_GROUP_SIZE|MAX_LCORE|PKTMBUF_HEADROOM|MBUF_DEFAULT_BUF_SIZE|ETH_MQ_RX_RSS_FLAG|ETH_RX_OFFLOAD_.*|ETH_TX_OFFLOAD_.*)")
            .opaque_type("rte_arp_.*|rte_l2tpv2_.*|rte_gtp_.*|rte_ether_addr")
            .derive_default(true)
            .layout_tests(true)
            .generate_comments(false)
            .generate()
    });
    let bindings = match bindings {
        Ok(Ok(b)) => b,
        _ => fail(
            "bindgen could not read DPDK's headers (libclang missing?): install it with `apt-get install -y libclang-dev`",
        ),
    };
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .unwrap_or_else(|e| fail(&format!("cannot write bindings: {e}")));
}
