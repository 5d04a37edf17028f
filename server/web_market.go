package server

// registerMarketPages registers the pages to browse and search the market
// register: areas, providers, locations and vacancies, and the admin pages.
func (s *Server) registerMarketPages() {
}
