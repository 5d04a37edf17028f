package server

import (
	"reflect"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
)

// Template functions for the words people read: roles with their article,
// months and statuses as labels rather than the codes stored.
func init() {
	funcs["roleWithArticle"] = roleWithArticle
	funcs["label"] = label
	funcs["lower"] = strings.ToLower
	funcs["hoursLabel"] = brokerage.HoursLabel
}

// roleWithArticle names a role as a sentence would: "an administrator".
func roleWithArticle(r caremarket.Role) string {
	switch r {
	case caremarket.RoleAdmin:
		return "an administrator"
	case caremarket.RoleCommissioner:
		return "a commissioner"
	case caremarket.RoleEvaluator:
		return "an evaluator"
	case caremarket.RoleBroker:
		return "a broker"
	case caremarket.RoleFinance:
		return "a member of the finance team"
	case caremarket.RoleProvider:
		return "a provider's member of staff"
	}
	return "a user"
}

// label turns a stored code into words: a service type's name, a month
// "2026-11" as "November 2026", and a status like "handed_back" as
// "Handed back".
func label(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case market.ServiceType:
		return x.Label()
	case interface{ String() string }:
		s = x.String()
	default:
		// A named string type, like procurement.ApplicationStatus.
		rv := reflect.ValueOf(v)
		if !rv.IsValid() || rv.Kind() != reflect.String {
			return ""
		}
		s = rv.String()
	}
	if st := market.ServiceType(s); st.Valid() {
		return st.Label()
	}
	if t, err := time.Parse("2006-01", s); err == nil {
		return t.Format("January 2006")
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2 January 2006")
	}
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
