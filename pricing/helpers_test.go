package pricing

import "github.com/caremarket/caremarket"

func errFields(err error) map[string]string { return caremarket.ErrorFields(err) }
