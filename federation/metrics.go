package federation

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the federation's Prometheus metrics.
type metrics struct {
	deliveries *prometheus.CounterVec // by host and result
	inbox      *prometheus.CounterVec // by activity type and result
}

func newMetrics(reg *prometheus.Registry, s *Service) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archipel_federation_deliveries_total",
			Help: "Deliveries of activities to remote inboxes, by host and result (delivered, retry, final).",
		}, []string{"host", "result"}),
		inbox: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archipel_federation_inbox_requests_total",
			Help: "Inbox POSTs, by result (accepted or the refusal).",
		}, []string{"result"}),
	}
	if reg == nil {
		return m, nil
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "archipel_federation_delivery_queue_depth",
		Help: "Delivery jobs (fan-outs and retries) not yet finished.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := s.store.CountDeliveryJobs(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{m.deliveries, m.inbox, depth} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
