package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// handleActivityGraphsJSON serves the graphs' data.
func (s *server) handleActivityGraphsJSON(c *activityCache) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := c.get(r.Context(), s.store, time.Now())
		if err != nil {
			s.state(r).logger.Error("activity graphs", "error", err)
			writeJSONError(w, http.StatusInternalServerError, "The activity could not be counted. Please try again in a moment.")
			return
		}
		body, err := json.Marshal(d)
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "The activity could not be counted. Please try again in a moment.")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(activityTTL/time.Second)))
		h.Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(body)
	}
}
