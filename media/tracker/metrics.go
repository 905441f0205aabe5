package tracker

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	announces prometheus.Counter
	offers    prometheus.Counter
	answers   prometheus.Counter
	refusals  *prometheus.CounterVec
}

func newMetrics(t *Tracker, reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		announces: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archipel_tracker_announces_total",
			Help: "WebTorrent tracker announces received, answers excluded.",
		}),
		offers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archipel_tracker_offers_relayed_total",
			Help: "WebRTC offers relayed to other peers.",
		}),
		answers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archipel_tracker_answers_relayed_total",
			Help: "WebRTC answers relayed to the offering peer.",
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archipel_tracker_refusals_total",
			Help: "Requests refused, by reason (unknown_infohash, swarm_full, rate_limited, invalid, too_big).",
		}, []string{"reason"}),
	}
	if reg == nil {
		return m, nil
	}
	swarms := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "archipel_tracker_swarms",
		Help: "Swarms with at least one peer.",
	}, func() float64 {
		t.mu.Lock()
		defer t.mu.Unlock()
		return float64(len(t.swarms))
	})
	peers := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "archipel_tracker_peers",
		Help: "Peers over all swarms.",
	}, func() float64 {
		t.mu.Lock()
		defer t.mu.Unlock()
		n := 0
		for _, s := range t.swarms {
			n += len(s.peers)
		}
		return float64(n)
	})
	cs := []prometheus.Collector{m.announces, m.offers, m.answers, m.refusals, swarms, peers}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, err
		}
	}
	return m, nil
}
