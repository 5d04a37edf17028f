package server

func (h *financeHandlers) registerPages() {}
