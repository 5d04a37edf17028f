package cqc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caremarket/caremarket/market"
)

// CQC wording, lower-cased with single spaces (see norm). The directory's
// "Service type - …" columns use the long names; the API's gacServiceTypes
// carry the same long name as description and a short name.
const (
	svcNursingHome     = "care home service with nursing"
	svcResidentialHome = "care home service without nursing"
	svcDomiciliary     = "domiciliary care service"
	svcExtraCare       = "extra care housing services"
	svcSupportedLiving = "supported living service"

	bandDementia = "dementia"
	bandLD       = "learning disabilities or autistic spectrum disorder"
	bandPD       = "physical disability"
	bandMH       = "mental health"
	bandChildren = "children 0-18 years"
)

// apiServiceNames are the API's short gacServiceTypes names, for records that
// carry no description.
var apiServiceNames = map[string]string{
	"nursing homes":          svcNursingHome,
	"residential homes":      svcResidentialHome,
	"homecare agencies":      svcDomiciliary,
	"extra care housing":     svcExtraCare,
	"supported living":       svcSupportedLiving,
	"domiciliary care":       svcDomiciliary,
	"care home with nursing": svcNursingHome,
}

// Specialisms (API) that mean the same as a directory user band.
var specialismBands = map[string]string{
	"dementia":                        bandDementia,
	"learning disabilities":           bandLD,
	"autism":                          bandLD,
	"physical disabilities":           bandPD,
	"physical disability":             bandPD,
	"mental health conditions":        bandMH,
	"mental health":                   bandMH,
	"caring for children":             bandChildren,
	"caring for children (0 - 18yrs)": bandChildren,
}

func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// MapServiceTypes says which of caremarket's service types a CQC location
// offers, from its CQC service types, the people it serves (user bands and
// specialisms) and, for records that name no service type, its "Care home?"
// flag and regulated activities. A location that offers nothing the council
// buys here (a GP surgery, a dentist, a hospital) maps to none.
//
// Care homes: "with nursing" is Nursing; "without nursing" is Residential.
// Dementia makes either the High band (Residential High is for dementia
// and complex needs). Specialist residential lots (learning disability, physical disability, mental health) follow the user
// bands for learning disability, physical disability and mental health.
func MapServiceTypes(l *Location) []market.ServiceType {
	services := map[string]bool{}
	for _, s := range l.ServiceTypes {
		n := norm(s)
		if long, ok := apiServiceNames[n]; ok {
			n = long
		}
		services[n] = true
	}
	bands := map[string]bool{}
	for _, b := range l.UserBands {
		bands[norm(b)] = true
	}
	for _, s := range l.Specialisms {
		if b, ok := specialismBands[norm(s)]; ok {
			bands[b] = true
		}
	}
	// An older file, or a partial API record, may say only "Care home? Y".
	if l.CareHome && !services[svcNursingHome] && !services[svcResidentialHome] {
		if hasNursing(l) {
			services[svcNursingHome] = true
		} else {
			services[svcResidentialHome] = true
		}
	}

	var out []market.ServiceType
	// add adds st when the location is registered for it.
	add := func(st market.ServiceType, registered bool) {
		if registered && !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	residential, nursing := services[svcResidentialHome], services[svcNursingHome]
	add(market.Residential, residential)
	add(market.ResidentialHigh, residential && bands[bandDementia])
	add(market.Nursing, nursing)
	add(market.NursingHigh, nursing && bands[bandDementia])
	// Specialist residential care is bought from homes registered for the
	// band, nursing or not.
	add(market.ResidentialLD, (residential || nursing) && bands[bandLD])
	add(market.ResidentialPD, (residential || nursing) && bands[bandPD])
	add(market.ResidentialMH, (residential || nursing) && bands[bandMH])
	add(market.Homecare, services[svcDomiciliary])
	// Community support for disabled children comes from domiciliary
	// agencies registered to care for children with a learning or physical
	// disability.
	add(market.DisabledChildren, services[svcDomiciliary] && bands[bandChildren] && (bands[bandLD] || bands[bandPD]))
	add(market.ExtraCare, services[svcExtraCare])
	add(market.SupportedLiving, services[svcSupportedLiving])
	// Keep the UI's order, so two readings of the same record compare equal.
	slices.SortFunc(out, func(a, b market.ServiceType) int {
		return slices.Index(market.ServiceTypes, a) - slices.Index(market.ServiceTypes, b)
	})
	return out
}

// hasNursing reports whether a care home that names no service type provides
// nursing: the regulated activity "Nursing care" or a nursing inspection
// category says so.
func hasNursing(l *Location) bool {
	for _, a := range l.RegulatedActivities {
		if norm(a) == "nursing care" {
			return true
		}
	}
	return strings.Contains(norm(l.PrimaryInspectionCategory), "nursing")
}

// ParseRating reads CQC's overall rating. A blank means not yet rated, as
// does "Insufficient evidence to rate"; anything else unknown is an error, so
// a new wording is noticed rather than stored as a guess.
func ParseRating(s string) (market.Rating, error) {
	switch norm(s) {
	case "outstanding":
		return market.Outstanding, nil
	case "good":
		return market.Good, nil
	case "requires improvement":
		return market.RequiresImprovement, nil
	case "inadequate":
		return market.Inadequate, nil
	case "", "not rated", "not yet rated", "insufficient evidence to rate", "no published rating":
		return market.NotRated, nil
	}
	return "", fmt.Errorf("rating %q is not Outstanding, Good, Requires improvement, Inadequate or Not Rated", s)
}

// IsSocialCare reports whether the location offers anything the council buys.
func IsSocialCare(l *Location) bool { return len(MapServiceTypes(l)) > 0 }
