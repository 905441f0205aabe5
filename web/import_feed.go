package web

// importRoutes registers the pages that import a podcast from its feed.
func (s *server) importRoutes() {}
