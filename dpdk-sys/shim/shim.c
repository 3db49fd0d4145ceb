/* Vigil's C shim: exported, non-inline wrappers around DPDK's static-inline functions
 * (rx/tx burst, mbuf helpers, rings, TSC, lcore id, rte_errno, rte_softrss). Each
 * wrapper is a plain call-through; no logic lives here. */
#include "shim.h"

uint16_t vigil_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port, queue, pkts, n);
}

uint16_t vigil_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port, queue, pkts, n);
}

struct rte_mbuf *vigil_pktmbuf_alloc(struct rte_mempool *mp) { return rte_pktmbuf_alloc(mp); }
void vigil_pktmbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }
uint16_t vigil_mbuf_refcnt_read(const struct rte_mbuf *m) { return rte_mbuf_refcnt_read(m); }
uint16_t vigil_mbuf_refcnt_update(struct rte_mbuf *m, int16_t v) { return rte_mbuf_refcnt_update(m, v); }
uint8_t *vigil_pktmbuf_mtod(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, uint8_t *); }
char *vigil_pktmbuf_append(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_append(m, len); }

static int ts_offset = -1;
static uint64_t ts_flag;

int vigil_timestamp_init(void)
{
	return rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag);
}

/* net_pcap before DPDK 23.11 stamps microseconds (tv_sec * 10^6 + tv_usec, from
 * pcap_open_offline); later releases stamp nanoseconds. Vigil wants nanoseconds. */
#if RTE_VERSION < RTE_VERSION_NUM(23, 11, 0, 0)
#define VIGIL_PCAP_TS_SCALE 1000
#else
#define VIGIL_PCAP_TS_SCALE 1
#endif

uint64_t vigil_mbuf_timestamp(const struct rte_mbuf *m)
{
	if (ts_offset < 0 || !(m->ol_flags & ts_flag))
		return 0;
	return *RTE_MBUF_DYNFIELD(m, ts_offset, const rte_mbuf_timestamp_t *) * VIGIL_PCAP_TS_SCALE;
}

unsigned vigil_lcore_id(void) { return rte_lcore_id(); }
uint64_t vigil_rdtsc(void) { return rte_rdtsc(); }
void vigil_pause(void) { rte_pause(); }
int vigil_errno(void) { return rte_errno; }

unsigned vigil_ring_enqueue_burst(struct rte_ring *r, void *const *objs, unsigned n)
{
	return rte_ring_enqueue_burst(r, objs, n, NULL);
}

unsigned vigil_ring_dequeue_burst(struct rte_ring *r, void **objs, unsigned n)
{
	return rte_ring_dequeue_burst(r, objs, n, NULL);
}

unsigned vigil_ring_count(const struct rte_ring *r) { return rte_ring_count(r); }

uint32_t vigil_softrss(uint32_t *input_tuple, uint32_t input_len, const uint8_t *rss_key)
{
	return rte_softrss(input_tuple, input_len, rss_key);
}

uint64_t vigil_rss_hf_ip(void) { return RTE_ETH_RSS_IP; }
uint64_t vigil_rss_hf_tcp_udp(void) { return RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP; }
int vigil_mq_rx_rss(void) { return RTE_ETH_MQ_RX_RSS; }
int vigil_mq_rx_none(void) { return RTE_ETH_MQ_RX_NONE; }
