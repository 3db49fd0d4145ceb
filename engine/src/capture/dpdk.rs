//! The one thin safe wrapper over DPDK (`dpdk-sys`): EAL, mempools, ports, RX bursts that
//! free on drop, SP/SC rings for software RSS dispatch, and lcore launch.
//!
//! Every `unsafe` block of the engine lives in this module, each with a `SAFETY:` comment.
//! Ownership rules the types enforce:
//! - [`Eal`] exists at most once per process (DPDK allows one `rte_eal_init`).
//! - An mbuf is owned by exactly one [`Burst`] slot (or one ring, or the NIC); a burst
//!   frees whatever it still holds when cleared or dropped.
//! - An [`RxSource`] is moved into exactly one worker, so a queue or ring has one consumer.

use dpdk_sys as sys;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};

/// Packets per `rx_burst` call.
pub const BURST: usize = 32;

/// An error from DPDK, with the call that failed and DPDK's own message.
#[derive(Debug, Clone)]
pub struct DpdkError {
    pub what: String,
    pub errno: i32,
}

impl std::fmt::Display for DpdkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.errno != 0 {
            write!(f, "{}: {}", self.what, strerror(self.errno))
        } else {
            write!(f, "{}", self.what)
        }
    }
}

impl std::error::Error for DpdkError {}

fn strerror(errno: i32) -> String {
    let e = errno.abs();
    // SAFETY: rte_strerror returns a pointer to a static or thread-local NUL-terminated
    // string that stays valid until the next call on this thread; we copy it at once.
    unsafe {
        let p = sys::rte_strerror(e);
        if p.is_null() {
            return format!("errno {e}");
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

fn last_errno() -> i32 {
    // SAFETY: reads DPDK's per-lcore rte_errno through the shim; no preconditions.
    unsafe { sys::vigil_errno() }
}

fn err(what: impl Into<String>, errno: i32) -> DpdkError {
    DpdkError {
        what: what.into(),
        errno,
    }
}

fn cstring(s: &str, what: &str) -> Result<CString, DpdkError> {
    CString::new(s).map_err(|_| err(format!("{what} contains a NUL byte"), 0))
}

static EAL_STARTED: AtomicBool = AtomicBool::new(false);

/// The initialised DPDK environment. Created once per process; cleaned up on drop.
pub struct Eal {
    _private: (),
}

impl Eal {
    /// Runs `rte_eal_init` with these arguments (the first is the program name).
    pub fn init(args: &[String]) -> Result<Eal, DpdkError> {
        if EAL_STARTED.swap(true, Ordering::SeqCst) {
            return Err(err(
                "DPDK's EAL can be initialised only once per process",
                0,
            ));
        }
        let owned: Vec<CString> = args
            .iter()
            .map(|a| cstring(a, "EAL argument"))
            .collect::<Result<_, _>>()?;
        let mut argv: Vec<*mut c_char> = owned.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        argv.push(std::ptr::null_mut());
        // SAFETY: argv holds argc valid NUL-terminated strings plus a NULL terminator, all
        // alive (`owned`) for the call; EAL may permute the pointer array, which we own.
        // EAL_STARTED guarantees this runs at most once per process.
        let rc = unsafe { sys::rte_eal_init(owned.len() as c_int, argv.as_mut_ptr()) };
        if rc < 0 {
            return Err(err("rte_eal_init failed", last_errno()));
        }
        // SAFETY: called after a successful rte_eal_init; registers (or looks up) the Rx
        // timestamp dynfield the pcap PMD fills.
        let ts = unsafe { sys::vigil_timestamp_init() };
        if ts < 0 {
            return Err(err(
                "cannot register the mbuf timestamp field",
                last_errno(),
            ));
        }
        Ok(Eal { _private: () })
    }

    /// The main lcore (the thread that called `init`).
    pub fn main_lcore(&self) -> u32 {
        // SAFETY: EAL is initialised (we hold `self`).
        unsafe { sys::rte_get_main_lcore() }
    }

    /// Worker lcores (every enabled lcore but the main one), in id order.
    pub fn worker_lcores(&self) -> Vec<u32> {
        let mut out = Vec::new();
        // SAFETY: EAL is initialised; rte_get_next_lcore only reads its lcore table.
        let mut id = unsafe { sys::rte_get_next_lcore(u32::MAX as c_uint, 1, 0) };
        while id < sys::RTE_MAX_LCORE {
            out.push(id);
            // SAFETY: as above.
            id = unsafe { sys::rte_get_next_lcore(id, 1, 0) };
        }
        out
    }

    /// The TSC frequency in Hz.
    pub fn tsc_hz(&self) -> u64 {
        // SAFETY: EAL is initialised, which calibrates the TSC.
        unsafe { sys::rte_get_tsc_hz() }
    }

    /// DPDK's version string.
    pub fn version(&self) -> String {
        // SAFETY: rte_version returns a static NUL-terminated string.
        unsafe {
            CStr::from_ptr(sys::rte_version())
                .to_string_lossy()
                .into_owned()
        }
    }

    /// Creates a virtual device (`net_pcap0`, `rx_pcap=…`) and returns its port id.
    pub fn vdev_create(&self, name: &str, args: &str) -> Result<u16, DpdkError> {
        let cname = cstring(name, "device name")?;
        let cargs = cstring(args, "device arguments")?;
        // SAFETY: both strings are valid for the call; EAL is initialised.
        let rc = unsafe { sys::rte_vdev_init(cname.as_ptr(), cargs.as_ptr()) };
        if rc != 0 {
            return Err(err(format!("cannot create DPDK device {name}"), -rc));
        }
        self.port_by_name(name)
    }

    /// Removes a virtual device created with [`Eal::vdev_create`].
    pub fn vdev_remove(&self, name: &str) -> Result<(), DpdkError> {
        let cname = cstring(name, "device name")?;
        // SAFETY: the string is valid for the call; EAL is initialised.
        let rc = unsafe { sys::rte_vdev_uninit(cname.as_ptr()) };
        if rc != 0 {
            return Err(err(format!("cannot remove DPDK device {name}"), -rc));
        }
        Ok(())
    }

    /// The port id of a probed device, by name (vdev name or PCI address).
    pub fn port_by_name(&self, name: &str) -> Result<u16, DpdkError> {
        let cname = cstring(name, "device name")?;
        let mut port: u16 = 0;
        // SAFETY: valid string and a valid out-pointer; EAL is initialised.
        let rc = unsafe { sys::rte_eth_dev_get_port_by_name(cname.as_ptr(), &mut port) };
        if rc != 0 {
            return Err(err(format!("no DPDK port named {name}"), -rc));
        }
        Ok(port)
    }

    /// Number of ports DPDK probed.
    pub fn port_count(&self) -> u16 {
        // SAFETY: EAL is initialised.
        unsafe { sys::rte_eth_dev_count_avail() }
    }

    /// Checks that a virtual-device driver is registered by creating and removing one
    /// instance with default arguments (`net_null`, `net_ring`).
    pub fn probe_driver(&self, driver: &str) -> Result<(), DpdkError> {
        let name = format!("{driver}_chk");
        self.vdev_create(&name, "").map_err(|e| {
            err(
                format!(
                    "DPDK driver {driver} did not load ({e}); install librte-{}23",
                    driver.replace('_', "-")
                ),
                0,
            )
        })?;
        self.vdev_remove(&name)
    }

    /// Launches `f` on worker lcore `lcore`; its return value is collected by [`Eal::wait`].
    pub fn launch(
        &self,
        lcore: u32,
        f: Box<dyn FnOnce() -> i32 + Send + 'static>,
    ) -> Result<(), DpdkError> {
        let boxed: Box<Box<dyn FnOnce() -> i32 + Send>> = Box::new(f);
        let arg = Box::into_raw(boxed) as *mut c_void;
        // SAFETY: `trampoline` takes back ownership of `arg` exactly once on the remote
        // lcore; if the launch fails the closure never runs and we reclaim it here.
        let rc = unsafe { sys::rte_eal_remote_launch(Some(trampoline), arg, lcore) };
        if rc != 0 {
            // SAFETY: the launch failed, so `arg` was not handed to the lcore; reclaim it.
            drop(unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() -> i32 + Send>) });
            return Err(err(format!("cannot launch a worker on lcore {lcore}"), -rc));
        }
        Ok(())
    }

    /// Waits for the function running on `lcore` and returns its result.
    pub fn wait(&self, lcore: u32) -> i32 {
        // SAFETY: EAL is initialised; waiting on an idle lcore returns at once.
        unsafe { sys::rte_eal_wait_lcore(lcore) }
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: every worker was waited for by the engine before the Eal is dropped,
        // and no DPDK object outlives it in the engine's ownership order.
        unsafe {
            sys::rte_eal_cleanup();
        }
    }
}

extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` came from Box::into_raw in Eal::launch and is consumed only here.
    let f = unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() -> i32 + Send>) };
    // A panic must not unwind into C.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(-1)
}

/// The calling thread's lcore id (`u32::MAX` for a non-EAL thread).
pub fn lcore_id() -> u32 {
    // SAFETY: reads a thread-local; no preconditions.
    unsafe { sys::vigil_lcore_id() }
}

/// The time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: reads the TSC; no preconditions.
    unsafe { sys::vigil_rdtsc() }
}

/// A CPU pause hint for empty polls.
#[inline]
pub fn pause() {
    // SAFETY: a pause instruction; no preconditions.
    unsafe { sys::vigil_pause() }
}

/// A packet mbuf pool. Lives until the process ends (DPDK frees its memory in
/// `rte_eal_cleanup`); ports and rings that hold its mbufs never outlive it.
pub struct Mempool {
    ptr: NonNull<sys::rte_mempool>,
}

// SAFETY: DPDK mempools are multi-producer/multi-consumer safe; the pointer is only
// passed to DPDK functions.
unsafe impl Send for Mempool {}
// SAFETY: as above.
unsafe impl Sync for Mempool {}

impl Mempool {
    /// Creates a pool of `n` mbufs with `data_room` bytes of buffer each.
    pub fn new(
        _eal: &Eal,
        name: &str,
        n: u32,
        cache: u32,
        data_room: u16,
    ) -> Result<Mempool, DpdkError> {
        let cname = cstring(name, "mempool name")?;
        // SAFETY: EAL is initialised (`_eal`); the name is valid for the call.
        let p = unsafe {
            sys::rte_pktmbuf_pool_create(
                cname.as_ptr(),
                n,
                cache,
                0,
                data_room,
                sys::rte_socket_id() as c_int,
            )
        };
        NonNull::new(p).map(|ptr| Mempool { ptr }).ok_or_else(|| {
            err(
                format!("cannot create mempool {name} of {n} mbufs"),
                last_errno(),
            )
        })
    }

    /// A sender of frames built by the application (TCP resets) on `port`/`queue`, with
    /// mbufs from this pool. The engine keeps the pool alive until every worker holding
    /// a sender has stopped.
    pub fn sender(&self, port: u16, queue: u16) -> FrameSender {
        FrameSender {
            pool: self.ptr,
            port,
            queue,
        }
    }

    /// Mbufs free in the pool.
    pub fn available(&self) -> u32 {
        // SAFETY: the pool is valid for the life of `self`.
        unsafe { sys::rte_mempool_avail_count(self.ptr.as_ptr()) }
    }

    /// Mbufs in use (in rings, queues, bursts).
    pub fn in_use(&self) -> u32 {
        // SAFETY: the pool is valid for the life of `self`.
        unsafe { sys::rte_mempool_in_use_count(self.ptr.as_ptr()) }
    }
}

/// What a port can do for RSS.
#[derive(Debug, Clone)]
pub struct PortInfo {
    pub driver: String,
    pub max_rx_queues: u16,
    pub max_tx_queues: u16,
    pub reta_size: u16,
    pub hash_key_size: u8,
    pub rss_offloads: u64,
}

/// Port set-up.
#[derive(Debug, Clone)]
pub struct PortConf {
    pub rx_queues: u16,
    pub tx_queues: u16,
    pub rx_descriptors: u16,
    pub tx_descriptors: u16,
    /// The symmetric Toeplitz key to program when the device has RSS.
    pub rss_key: Vec<u8>,
    /// Hash only on addresses (true) or on addresses and ports.
    pub rss_l3_only: bool,
}

/// Port counters (`rte_eth_stats` and xstats).
#[derive(Debug, Clone, Default)]
pub struct PortStats {
    pub ipackets: u64,
    pub ibytes: u64,
    pub opackets: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub rx_nombuf: u64,
}

/// A configured ethdev port.
pub struct Port {
    pub id: u16,
    pub info: PortInfo,
    /// Whether the device spreads packets over queues itself (hardware RSS on).
    pub hw_rss: bool,
    started: bool,
}

/// Reads a port's capabilities.
pub fn port_info(_eal: &Eal, port: u16) -> Result<PortInfo, DpdkError> {
    let mut info = sys::rte_eth_dev_info::default();
    // SAFETY: `info` is a valid out-struct; EAL is initialised.
    let rc = unsafe { sys::rte_eth_dev_info_get(port, &mut info) };
    if rc != 0 {
        return Err(err(format!("cannot read port {port} info"), -rc));
    }
    let driver = if info.driver_name.is_null() {
        String::new()
    } else {
        // SAFETY: driver_name points to the driver's static NUL-terminated name.
        unsafe {
            CStr::from_ptr(info.driver_name)
                .to_string_lossy()
                .into_owned()
        }
    };
    Ok(PortInfo {
        driver,
        max_rx_queues: info.max_rx_queues,
        max_tx_queues: info.max_tx_queues,
        reta_size: info.reta_size,
        hash_key_size: info.hash_key_size,
        rss_offloads: info.flow_type_rss_offloads,
    })
}

impl Port {
    /// Configures the port, its queues on `pool`, symmetric RSS and the RETA where the
    /// device supports them, and starts it.
    pub fn start(eal: &Eal, id: u16, conf: &PortConf, pool: &Mempool) -> Result<Port, DpdkError> {
        let info = port_info(eal, id)?;
        if conf.rx_queues > info.max_rx_queues.max(1) {
            return Err(err(
                format!(
                    "port {id} ({}) has at most {} RX queues, {} asked",
                    info.driver, info.max_rx_queues, conf.rx_queues
                ),
                0,
            ));
        }
        let mut eth_conf = sys::rte_eth_conf::default();
        // SAFETY: pure getters of DPDK constants.
        let (mq_rss, hf_wanted) = unsafe {
            (
                sys::vigil_mq_rx_rss(),
                if conf.rss_l3_only {
                    sys::vigil_rss_hf_ip()
                } else {
                    sys::vigil_rss_hf_tcp_udp()
                },
            )
        };
        let hw_rss = conf.rx_queues > 1 && info.rss_offloads != 0;
        let mut key = conf.rss_key.clone();
        if hw_rss {
            if info.hash_key_size as usize > 0 {
                key.resize(info.hash_key_size as usize, 0);
                // Repeat the configured pattern to the device's key size (40 or 52 bytes).
                let pattern = if conf.rss_key.is_empty() {
                    vec![0x6D, 0x5A]
                } else {
                    conf.rss_key.clone()
                };
                for (i, b) in key.iter_mut().enumerate() {
                    *b = pattern[i % pattern.len()];
                }
            }
            eth_conf.rxmode.mq_mode = mq_rss as _;
            eth_conf.rx_adv_conf.rss_conf.rss_key = key.as_mut_ptr();
            eth_conf.rx_adv_conf.rss_conf.rss_key_len = key.len() as u8;
            eth_conf.rx_adv_conf.rss_conf.rss_hf = hf_wanted & info.rss_offloads;
        }
        // SAFETY: eth_conf (and the key it points to) is valid for the call.
        let rc =
            unsafe { sys::rte_eth_dev_configure(id, conf.rx_queues, conf.tx_queues, &eth_conf) };
        if rc != 0 {
            return Err(err(
                format!("cannot configure port {id} ({})", info.driver),
                -rc,
            ));
        }
        // SAFETY: port configured; queue ids in range; a NULL rxconf/txconf means defaults.
        let socket = unsafe { sys::rte_eth_dev_socket_id(id) };
        let socket = if socket < 0 { 0 } else { socket as c_uint };
        for q in 0..conf.rx_queues {
            // SAFETY: as above; `pool` outlives the port (see Mempool).
            let rc = unsafe {
                sys::rte_eth_rx_queue_setup(
                    id,
                    q,
                    conf.rx_descriptors,
                    socket,
                    std::ptr::null(),
                    pool.ptr.as_ptr(),
                )
            };
            if rc != 0 {
                return Err(err(format!("cannot set up RX queue {q} of port {id}"), -rc));
            }
        }
        for q in 0..conf.tx_queues {
            // SAFETY: as above.
            let rc = unsafe {
                sys::rte_eth_tx_queue_setup(id, q, conf.tx_descriptors, socket, std::ptr::null())
            };
            if rc != 0 {
                return Err(err(format!("cannot set up TX queue {q} of port {id}"), -rc));
            }
        }
        // SAFETY: port configured with its queues.
        let rc = unsafe { sys::rte_eth_dev_start(id) };
        if rc != 0 {
            return Err(err(format!("cannot start port {id}"), -rc));
        }
        let port = Port {
            id,
            info,
            hw_rss,
            started: true,
        };
        if hw_rss && port.info.reta_size > 0 {
            port.program_reta(conf.rx_queues)?;
        }
        // Promiscuous mode matters on a mirror port; vdevs may not support it.
        // SAFETY: port started.
        let _ = unsafe { sys::rte_eth_promiscuous_enable(id) };
        Ok(port)
    }

    /// Spreads the redirection table round-robin over the RX queues.
    fn program_reta(&self, queues: u16) -> Result<(), DpdkError> {
        let size = self.info.reta_size as usize;
        let group = sys::RTE_ETH_RETA_GROUP_SIZE as usize;
        let mut conf = vec![sys::rte_eth_rss_reta_entry64::default(); size.div_ceil(group)];
        for (g, entry) in conf.iter_mut().enumerate() {
            entry.mask = u64::MAX;
            for i in 0..group {
                entry.reta[i] = ((g * group + i) % queues as usize) as u16;
            }
        }
        // SAFETY: `conf` has reta_size/64 entries as the API requires.
        let rc = unsafe {
            sys::rte_eth_dev_rss_reta_update(self.id, conf.as_mut_ptr(), self.info.reta_size)
        };
        if rc != 0 {
            return Err(err(
                format!(
                    "cannot program the RSS redirection table of port {}",
                    self.id
                ),
                -rc,
            ));
        }
        Ok(())
    }

    /// Basic counters plus the xstats the summary reports.
    pub fn stats(&self) -> PortStats {
        port_stats(self.id)
    }

    /// Every extended statistic the driver exposes, by name.
    pub fn xstats(&self) -> Vec<(String, u64)> {
        // SAFETY: a NULL array with size 0 asks for the count.
        let n = unsafe { sys::rte_eth_xstats_get_names(self.id, std::ptr::null_mut(), 0) };
        if n <= 0 {
            return Vec::new();
        }
        let mut names = vec![sys::rte_eth_xstat_name::default(); n as usize];
        let mut vals = vec![sys::rte_eth_xstat::default(); n as usize];
        // SAFETY: both arrays hold `n` entries.
        let (a, b) = unsafe {
            (
                sys::rte_eth_xstats_get_names(self.id, names.as_mut_ptr(), n as c_uint),
                sys::rte_eth_xstats_get(self.id, vals.as_mut_ptr(), n as c_uint),
            )
        };
        if a != n || b != n {
            return Vec::new();
        }
        vals.iter()
            .map(|v| {
                let raw = &names[v.id as usize % names.len()].name;
                // SAFETY: xstat names are NUL-terminated within their fixed array.
                let name = unsafe { CStr::from_ptr(raw.as_ptr()) }
                    .to_string_lossy()
                    .into_owned();
                (name, v.value)
            })
            .collect()
    }

    /// Stops the port (idempotent).
    pub fn stop(&mut self) {
        if self.started {
            // SAFETY: no worker polls the port any more (the engine waited for them).
            unsafe {
                sys::rte_eth_dev_stop(self.id);
            }
            self.started = false;
        }
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        self.stop();
        // SAFETY: stopped; nothing polls it.
        unsafe {
            sys::rte_eth_dev_close(self.id);
        }
    }
}

/// Reads a port's counters; safe from any thread while the port exists.
pub fn port_stats(port: u16) -> PortStats {
    let mut s = sys::rte_eth_stats::default();
    // SAFETY: `s` is a valid out-struct; an invalid port id just returns an error.
    let rc = unsafe { sys::rte_eth_stats_get(port, &mut s) };
    if rc != 0 {
        return PortStats::default();
    }
    PortStats {
        ipackets: s.ipackets,
        ibytes: s.ibytes,
        opackets: s.opackets,
        imissed: s.imissed,
        ierrors: s.ierrors,
        rx_nombuf: s.rx_nombuf,
    }
}

/// A borrowed view of one received packet.
#[derive(Clone, Copy)]
pub struct Packet<'a> {
    m: &'a sys::rte_mbuf,
}

impl<'a> Packet<'a> {
    /// The bytes of the first segment (the whole frame unless it was chained).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        let m = self.m;
        // SAFETY: an mbuf handed out by rx_burst has `data_len` valid bytes starting at
        // buf_addr + data_off, alive while the owning burst holds the mbuf ('a).
        unsafe {
            std::slice::from_raw_parts(
                (m.buf_addr as *const u8).add(m.data_off as usize),
                m.data_len as usize,
            )
        }
    }

    /// Length of the whole frame, every segment.
    #[inline]
    pub fn pkt_len(&self) -> u32 {
        self.m.pkt_len
    }

    /// Segments in the chain.
    #[inline]
    pub fn segments(&self) -> u16 {
        self.m.nb_segs
    }

    /// The whole frame: the first segment when it is the only one, else every segment
    /// copied into `buf` (as much as fits).
    #[inline]
    pub fn linear<'b>(&self, buf: &'b mut [u8]) -> &'b [u8]
    where
        'a: 'b,
    {
        if self.m.nb_segs <= 1 {
            return self.data();
        }
        let mut at = 0usize;
        let mut seg: *const sys::rte_mbuf = self.m;
        let mut hops = 0u16;
        while !seg.is_null() && hops < self.m.nb_segs {
            // SAFETY: `seg` is this chain's mbuf (the head, or a `next` link DPDK set),
            // owned by the burst for 'a; each segment has data_len valid bytes at
            // buf_addr + data_off. The walk is bounded by nb_segs.
            let (bytes, next) = unsafe {
                let m = &*seg;
                (
                    std::slice::from_raw_parts(
                        (m.buf_addr as *const u8).add(m.data_off as usize),
                        m.data_len as usize,
                    ),
                    m.next as *const sys::rte_mbuf,
                )
            };
            let n = bytes.len().min(buf.len() - at);
            buf[at..at + n].copy_from_slice(&bytes[..n]);
            at += n;
            seg = next;
            hops += 1;
        }
        &buf[..at]
    }

    /// Packet time in ns since the Unix epoch, as the driver stamped it (0 if none).
    #[inline]
    pub fn timestamp_ns(&self) -> u64 {
        // SAFETY: reads the dynfield registered in Eal::init from a valid mbuf.
        unsafe { sys::vigil_mbuf_timestamp(self.m) }
    }
}

/// Up to [`BURST`] received mbufs, owned; whatever is left is freed on clear or drop.
pub struct Burst {
    mbufs: [*mut sys::rte_mbuf; BURST],
    len: usize,
}

// SAFETY: a burst exclusively owns its mbufs, which any thread may free.
unsafe impl Send for Burst {}

impl Default for Burst {
    fn default() -> Self {
        Burst {
            mbufs: [std::ptr::null_mut(); BURST],
            len: 0,
        }
    }
}

impl Burst {
    /// Packets held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the burst is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th packet.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Packet<'_>> {
        if i >= self.len {
            return None;
        }
        // SAFETY: slots below `len` hold valid mbufs we own.
        Some(Packet {
            m: unsafe { &*self.mbufs[i] },
        })
    }

    /// Prefetches the start of the `i`-th packet's data (a hint; no effect out of range).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(p) = self.get(i) {
            // SAFETY: prefetch is a hint and never faults.
            unsafe {
                std::arch::x86_64::_mm_prefetch(
                    p.data().as_ptr() as *const i8,
                    std::arch::x86_64::_MM_HINT_T0,
                )
            };
        }
    }

    /// Frees every mbuf held.
    #[inline]
    pub fn clear(&mut self) {
        if self.len > 0 {
            // SAFETY: the first `len` slots hold mbufs we own; after this they are gone.
            unsafe { sys::rte_pktmbuf_free_bulk(self.mbufs.as_mut_ptr(), self.len as c_uint) };
            self.len = 0;
        }
    }

    /// Packet time of the `i`-th packet (0 out of range or when the driver set none).
    #[inline]
    pub fn timestamp_ns(&self, i: usize) -> u64 {
        self.get(i).map_or(0, |p| p.timestamp_ns())
    }

    /// Hands the first `upto` packets to one of `rings` each, chosen by `pick(packet)`,
    /// and keeps the rest (moved to the front) for a later call. With `lossless`, a full
    /// ring is retried until it takes the packet (replay: the capture is the NIC and
    /// loses nothing); otherwise the packet is freed. `sent[w]` grows by the packets ring
    /// `w` took. Returns (retries, dropped).
    pub fn dispatch(
        &mut self,
        upto: usize,
        rings: &[&Ring],
        lossless: bool,
        mut pick: impl FnMut(Packet<'_>) -> usize,
        stop: &AtomicBool,
        sent: &mut [u64],
    ) -> (u64, u64) {
        let mut staged = [[std::ptr::null_mut::<sys::rte_mbuf>(); BURST]; MAX_DISPATCH];
        let mut counts = [0usize; MAX_DISPATCH];
        let n = rings.len().min(MAX_DISPATCH).min(sent.len());
        let upto = upto.min(self.len);
        if n == 0 {
            self.clear();
            return (0, 0);
        }
        for i in 0..upto {
            // SAFETY: slot i < len holds a valid mbuf we own.
            let w = pick(Packet {
                m: unsafe { &*self.mbufs[i] },
            }) % n;
            staged[w][counts[w]] = self.mbufs[i];
            counts[w] += 1;
        }
        // Ownership of the first `upto` mbufs has moved into `staged`; keep the rest.
        self.mbufs.copy_within(upto..self.len, 0);
        self.len -= upto;
        let (mut retries, mut dropped) = (0u64, 0u64);
        for w in 0..n {
            let mut done = 0;
            while done < counts[w] {
                // SAFETY: the ring is valid; staged[w][done..counts[w]] are owned mbufs.
                let k = unsafe {
                    sys::vigil_ring_enqueue_burst(
                        rings[w].ptr.as_ptr(),
                        staged[w].as_ptr().add(done) as *const *mut c_void,
                        (counts[w] - done) as c_uint,
                    )
                } as usize;
                done += k;
                sent[w] += k as u64;
                if done < counts[w] {
                    if lossless && !stop.load(Ordering::Relaxed) {
                        retries += 1;
                        pause();
                        continue;
                    }
                    // SAFETY: the rest were not enqueued and are still ours.
                    unsafe {
                        sys::rte_pktmbuf_free_bulk(
                            staged[w].as_mut_ptr().add(done),
                            (counts[w] - done) as c_uint,
                        )
                    };
                    dropped += (counts[w] - done) as u64;
                    break;
                }
            }
        }
        (retries, dropped)
    }
}

/// Sends frames the application built (passive-mode resets) from one worker's TX queue.
pub struct FrameSender {
    pool: NonNull<sys::rte_mempool>,
    port: u16,
    queue: u16,
}

// SAFETY: the sender is used by one worker at a time; mempools are thread-safe and the
// TX queue is that worker's alone.
unsafe impl Send for FrameSender {}

impl FrameSender {
    /// Copies `frame` into a fresh mbuf and transmits it. False when the pool is empty,
    /// the frame does not fit or the queue is full (the mbuf is then freed).
    /// Allocation-free: mbufs come from the preallocated pool.
    #[inline]
    pub fn send(&mut self, frame: &[u8]) -> bool {
        let Ok(len) = u16::try_from(frame.len()) else {
            return false;
        };
        // SAFETY: the pool outlives the sender (see Mempool::sender).
        let m = unsafe { sys::vigil_pktmbuf_alloc(self.pool.as_ptr()) };
        if m.is_null() {
            return false;
        }
        // SAFETY: `m` is a fresh mbuf we own; append returns room for `len` bytes in its
        // data area or NULL when it does not fit.
        let dst = unsafe { sys::vigil_pktmbuf_append(m, len) } as *mut u8;
        if dst.is_null() {
            // SAFETY: still ours.
            unsafe { sys::vigil_pktmbuf_free(m) };
            return false;
        }
        // SAFETY: `dst` points to `len` writable bytes inside `m`.
        unsafe { std::ptr::copy_nonoverlapping(frame.as_ptr(), dst, frame.len()) };
        let mut one = [m];
        // SAFETY: the port and queue are configured; on success the driver owns `m`.
        let sent = unsafe { sys::vigil_tx_burst(self.port, self.queue, one.as_mut_ptr(), 1) };
        if sent == 0 {
            // SAFETY: not taken by the driver, still ours.
            unsafe { sys::vigil_pktmbuf_free(m) };
            return false;
        }
        true
    }
}

impl Burst {
    /// Transmits, in order, the packets whose `pass[i]` is true on `port`/`queue` (the
    /// driver takes those mbufs) and frees the others. With `lossless`, a full queue is
    /// retried (a replay loses nothing); otherwise what it refuses is freed. Returns
    /// (sent, refused).
    pub fn transmit(&mut self, port: u16, queue: u16, pass: &[bool], lossless: bool) -> (u64, u64) {
        let mut out = [std::ptr::null_mut::<sys::rte_mbuf>(); BURST];
        let mut n = 0usize;
        let mut drop = [std::ptr::null_mut::<sys::rte_mbuf>(); BURST];
        let mut d = 0usize;
        for i in 0..self.len {
            if pass.get(i).copied().unwrap_or(false) {
                out[n] = self.mbufs[i];
                n += 1;
            } else {
                drop[d] = self.mbufs[i];
                d += 1;
            }
        }
        // Ownership has moved into `out` and `drop`.
        self.len = 0;
        if d > 0 {
            // SAFETY: the first `d` entries are mbufs we own.
            unsafe { sys::rte_pktmbuf_free_bulk(drop.as_mut_ptr(), d as c_uint) };
        }
        let mut done = 0usize;
        let mut spins = 0u32;
        while done < n {
            // SAFETY: out[done..n] are owned mbufs; the driver takes the ones it sends.
            let k = unsafe {
                sys::vigil_tx_burst(port, queue, out.as_mut_ptr().add(done), (n - done) as u16)
            } as usize;
            done += k;
            if done < n {
                spins += 1;
                if !lossless || spins > 1_000_000 {
                    break;
                }
                pause();
            }
        }
        let refused = n - done;
        if refused > 0 {
            // SAFETY: out[done..n] were not taken and are still ours.
            unsafe { sys::rte_pktmbuf_free_bulk(out.as_mut_ptr().add(done), refused as c_uint) };
        }
        (done as u64, refused as u64)
    }
}

/// The most workers software dispatch feeds.
pub const MAX_DISPATCH: usize = 64;

impl Drop for Burst {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A single-producer single-consumer ring of mbufs (software RSS dispatch).
pub struct Ring {
    ptr: NonNull<sys::rte_ring>,
}

// SAFETY: rte_ring is thread-safe for one producer and one consumer; the engine gives the
// producer side to the dispatcher and the consumer side to one worker.
unsafe impl Send for Ring {}
// SAFETY: as above; both sides only go through DPDK's lock-free ring functions.
unsafe impl Sync for Ring {}

impl Ring {
    /// Creates a ring of `size` slots (a power of two).
    pub fn new(_eal: &Eal, name: &str, size: u32) -> Result<Ring, DpdkError> {
        let cname = cstring(name, "ring name")?;
        // SAFETY: EAL initialised; flags ask for single-producer/single-consumer.
        let p = unsafe {
            sys::rte_ring_create(
                cname.as_ptr(),
                size,
                sys::rte_socket_id() as c_int,
                sys::RING_F_SP_ENQ | sys::RING_F_SC_DEQ,
            )
        };
        NonNull::new(p).map(|ptr| Ring { ptr }).ok_or_else(|| {
            err(
                format!("cannot create ring {name} of {size} slots"),
                last_errno(),
            )
        })
    }

    /// Entries waiting.
    pub fn count(&self) -> u32 {
        // SAFETY: valid ring.
        unsafe { sys::vigil_ring_count(self.ptr.as_ptr()) }
    }
}

/// Where a worker's packets come from: a port's RX queue (hardware RSS, or the one queue
/// of a single-worker software run) or a ring fed by software RSS dispatch.
pub enum RxSource {
    Queue { port: u16, queue: u16 },
    Ring(std::sync::Arc<Ring>),
}

impl RxSource {
    /// Receives up to [`BURST`] packets into an empty `burst`; returns how many.
    #[inline]
    pub fn rx_burst(&mut self, burst: &mut Burst) -> usize {
        burst.clear();
        let n = match self {
            // SAFETY: this source is the queue's only consumer (moved into one worker);
            // the array has BURST slots.
            RxSource::Queue { port, queue } => unsafe {
                sys::vigil_rx_burst(*port, *queue, burst.mbufs.as_mut_ptr(), BURST as u16) as usize
            },
            // SAFETY: this worker is the ring's only consumer; the array has BURST slots.
            RxSource::Ring(r) => unsafe {
                sys::vigil_ring_dequeue_burst(
                    r.ptr.as_ptr(),
                    burst.mbufs.as_mut_ptr() as *mut *mut c_void,
                    BURST as c_uint,
                ) as usize
            },
        };
        burst.len = n;
        n
    }

    /// Whether `rx_burst` on this source ever returns packets the engine must check for the
    /// end of a finite capture (the port itself, not a ring).
    pub fn is_port(&self) -> bool {
        matches!(self, RxSource::Queue { .. })
    }
}

/// Toeplitz hash of `tuple` (32-bit words, host order) with `key`, computed by DPDK's own
/// `rte_softrss`; used to check Vigil's software hash.
pub fn dpdk_softrss(tuple: &[u32], key: &[u8]) -> u32 {
    assert!(
        key.len() >= tuple.len() * 4 + 4,
        "RSS key too short for the tuple"
    );
    let mut t = tuple.to_vec();
    // SAFETY: rte_softrss reads `len` words of tuple and len+1 words of key; both checked.
    unsafe { sys::vigil_softrss(t.as_mut_ptr(), t.len() as u32, key.as_ptr()) }
}
