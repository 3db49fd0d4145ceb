/* Vigil's C shim over DPDK: the headers bindgen reads, and exported wrappers for the
 * static-inline functions of DPDK that Rust cannot call directly. */
#ifndef VIGIL_DPDK_SHIM_H
#define VIGIL_DPDK_SHIM_H

#include <stdint.h>
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_thash.h>
#include <rte_bus_vdev.h>
#include <rte_version.h>

/* --- ethdev fast path --- */
uint16_t vigil_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
uint16_t vigil_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);

/* --- mbufs --- */
struct rte_mbuf *vigil_pktmbuf_alloc(struct rte_mempool *mp);
void vigil_pktmbuf_free(struct rte_mbuf *m);
uint16_t vigil_mbuf_refcnt_read(const struct rte_mbuf *m);
uint16_t vigil_mbuf_refcnt_update(struct rte_mbuf *m, int16_t value);
uint8_t *vigil_pktmbuf_mtod(struct rte_mbuf *m);
char *vigil_pktmbuf_append(struct rte_mbuf *m, uint16_t len);
/* Packet time in ns from the Rx timestamp dynfield as net_pcap fills it; 0 when the
 * driver set none.
 * vigil_timestamp_init() must have run once after rte_eal_init. */
int vigil_timestamp_init(void);
uint64_t vigil_mbuf_timestamp(const struct rte_mbuf *m);

/* --- lcores, time, errors --- */
unsigned vigil_lcore_id(void);
uint64_t vigil_rdtsc(void);
void vigil_pause(void);
int vigil_errno(void);

/* --- rings (SP/SC) --- */
unsigned vigil_ring_enqueue_burst(struct rte_ring *r, void *const *objs, unsigned n);
unsigned vigil_ring_dequeue_burst(struct rte_ring *r, void **objs, unsigned n);
unsigned vigil_ring_count(const struct rte_ring *r);

/* --- RSS --- */
uint32_t vigil_softrss(uint32_t *input_tuple, uint32_t input_len, const uint8_t *rss_key);
uint64_t vigil_rss_hf_ip(void);
uint64_t vigil_rss_hf_tcp_udp(void);
int vigil_mq_rx_rss(void);
int vigil_mq_rx_none(void);

#endif
