package demo

import (
	"strings"

	"github.com/caremarket/caremarket/market"
)

// District is one of Kent County Council's twelve districts: its ONS (GSS)
// code, the commissioning cluster it belongs to and the postcode districts
// (outcodes) that lie mainly inside it.
type District struct {
	Name     string
	Code     string
	Cluster  string
	Outcodes []string
}

// KentClusters are the demo's commissioning clusters. Kent divides its home
// care contract "by geographical provision (clusters) to cover Urban and
// Rural areas"; the grouping here is illustrative, not
// KCC's published lot map.
var KentClusters = []market.Cluster{
	{Name: "North Kent", Setting: market.Urban},
	{Name: "West Kent", Setting: market.Rural},
	{Name: "East Kent Rural", Setting: market.Rural},
	{Name: "East Kent Coastal", Setting: market.Urban},
}

// KentDistricts are the twelve districts of the county of Kent (Medway is a
// separate unitary authority and is not among them), in ONS code order.
//
// An outcode often straddles a district boundary (DA3, DA4, ME18, TN11, TN15,
// TN27 among others); each is listed once, under the district holding most of
// it, so that DistrictForOutcode gives one answer. That is good enough to show
// a provider the district of an anonymised care requirement, not to decide
// which council pays.
var KentDistricts = []District{
	{Name: "Ashford", Code: "E07000105", Cluster: "East Kent Rural", Outcodes: []string{"TN23", "TN24", "TN25", "TN26", "TN27", "TN30"}},
	{Name: "Canterbury", Code: "E07000106", Cluster: "East Kent Rural", Outcodes: []string{"CT1", "CT2", "CT3", "CT4", "CT5", "CT6"}},
	{Name: "Dartford", Code: "E07000107", Cluster: "North Kent", Outcodes: []string{"DA1", "DA2", "DA3", "DA4", "DA9", "DA10"}},
	{Name: "Dover", Code: "E07000108", Cluster: "East Kent Coastal", Outcodes: []string{"CT13", "CT14", "CT15", "CT16", "CT17"}},
	{Name: "Gravesham", Code: "E07000109", Cluster: "North Kent", Outcodes: []string{"DA11", "DA12", "DA13"}},
	{Name: "Maidstone", Code: "E07000110", Cluster: "West Kent", Outcodes: []string{"ME14", "ME15", "ME16", "ME17", "ME18"}},
	{Name: "Sevenoaks", Code: "E07000111", Cluster: "West Kent", Outcodes: []string{"BR8", "TN8", "TN13", "TN14", "TN15", "TN16"}},
	{Name: "Folkestone and Hythe", Code: "E07000112", Cluster: "East Kent Coastal", Outcodes: []string{"CT18", "CT19", "CT20", "CT21", "TN28", "TN29"}},
	{Name: "Swale", Code: "E07000113", Cluster: "North Kent", Outcodes: []string{"ME9", "ME10", "ME11", "ME12", "ME13"}},
	{Name: "Thanet", Code: "E07000114", Cluster: "East Kent Coastal", Outcodes: []string{"CT7", "CT8", "CT9", "CT10", "CT11", "CT12"}},
	{Name: "Tonbridge and Malling", Code: "E07000115", Cluster: "West Kent", Outcodes: []string{"ME6", "ME19", "ME20", "TN9", "TN10", "TN11"}},
	{Name: "Tunbridge Wells", Code: "E07000116", Cluster: "West Kent", Outcodes: []string{"TN1", "TN2", "TN3", "TN4", "TN12", "TN17", "TN18"}},
}

// KentBorders are the pairs of Kent districts that share a land boundary.
// Borders with Medway, London, Surrey and East Sussex are left out: the
// cascade only looks within the council. Districts that meet only across an
// estuary or at sea are not neighbours.
var KentBorders = [][2]string{
	{"Dartford", "Gravesham"},
	{"Dartford", "Sevenoaks"},
	{"Gravesham", "Sevenoaks"},
	{"Gravesham", "Tonbridge and Malling"},
	{"Sevenoaks", "Tonbridge and Malling"},
	{"Sevenoaks", "Tunbridge Wells"},
	{"Tonbridge and Malling", "Maidstone"},
	{"Tonbridge and Malling", "Tunbridge Wells"},
	{"Maidstone", "Tunbridge Wells"},
	{"Maidstone", "Ashford"},
	{"Maidstone", "Swale"},
	{"Tunbridge Wells", "Ashford"},
	{"Swale", "Ashford"},
	{"Swale", "Canterbury"},
	{"Ashford", "Canterbury"},
	{"Ashford", "Folkestone and Hythe"},
	{"Canterbury", "Folkestone and Hythe"},
	{"Canterbury", "Dover"},
	{"Canterbury", "Thanet"},
	{"Dover", "Thanet"},
	{"Dover", "Folkestone and Hythe"},
}

// outcodeTowns names the town or village a demo address in each outcode
// gives, so generated addresses read like real ones.
var outcodeTowns = map[string]string{
	"TN23": "Ashford", "TN24": "Ashford", "TN25": "Wye", "TN26": "Woodchurch", "TN27": "Charing", "TN30": "Tenterden",
	"CT1": "Canterbury", "CT2": "Canterbury", "CT3": "Littlebourne", "CT4": "Chartham", "CT5": "Whitstable", "CT6": "Herne Bay",
	"DA1": "Dartford", "DA2": "Dartford", "DA3": "Longfield", "DA4": "Sutton-at-Hone", "DA9": "Greenhithe", "DA10": "Swanscombe",
	"CT13": "Sandwich", "CT14": "Deal", "CT15": "St Margaret's at Cliffe", "CT16": "Dover", "CT17": "Dover",
	"DA11": "Gravesend", "DA12": "Gravesend", "DA13": "Meopham",
	"ME14": "Maidstone", "ME15": "Maidstone", "ME16": "Maidstone", "ME17": "Lenham", "ME18": "Yalding",
	"BR8": "Swanley", "TN8": "Edenbridge", "TN13": "Sevenoaks", "TN14": "Otford", "TN15": "Kemsing", "TN16": "Westerham",
	"CT18": "Hawkinge", "CT19": "Folkestone", "CT20": "Folkestone", "CT21": "Hythe", "TN28": "New Romney", "TN29": "Lydd",
	"ME9": "Teynham", "ME10": "Sittingbourne", "ME11": "Queenborough", "ME12": "Sheerness", "ME13": "Faversham",
	"CT7": "Birchington", "CT8": "Westgate-on-Sea", "CT9": "Margate", "CT10": "Broadstairs", "CT11": "Ramsgate", "CT12": "Minster",
	"ME6": "Snodland", "ME19": "West Malling", "ME20": "Aylesford", "TN9": "Tonbridge", "TN10": "Tonbridge", "TN11": "Hildenborough",
	"TN1": "Royal Tunbridge Wells", "TN2": "Royal Tunbridge Wells", "TN3": "Langton Green", "TN4": "Southborough",
	"TN12": "Paddock Wood", "TN17": "Cranbrook", "TN18": "Hawkhurst",
}

// outcodeDistrict is the reverse of KentDistricts' outcode lists.
var outcodeDistrict = func() map[string]string {
	m := map[string]string{}
	for _, d := range KentDistricts {
		for _, oc := range d.Outcodes {
			m[oc] = d.Name
		}
	}
	return m
}()

// DistrictForOutcode returns the Kent district an outcode ("CT9") lies
// mainly in. Pass the outcode, not a whole postcode: market.Outcode gives it.
func DistrictForOutcode(outcode string) (string, bool) {
	d, ok := outcodeDistrict[strings.ToUpper(strings.TrimSpace(outcode))]
	return d, ok
}

// Borders reports whether two Kent districts, by name, share a land border.
func Borders(a, b string) bool {
	for _, p := range KentBorders {
		if (p[0] == a && p[1] == b) || (p[0] == b && p[1] == a) {
			return true
		}
	}
	return false
}
