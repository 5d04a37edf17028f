package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket/market"
)

// Market is a generated care market, not yet stored: providers with their
// locations and the vacancy figures those locations last gave.
type Market struct {
	Providers []ProviderPlan
}

// ProviderPlan is a generated provider and its locations.
type ProviderPlan struct {
	Provider  market.Provider
	Locations []LocationPlan
}

// LocationPlan is a generated location (ProviderID is 0 until the provider is
// stored) and its vacancies (LocationID is 0 until the location is stored;
// UpdatedAt is when the provider gave the figure).
type LocationPlan struct {
	Location  market.Location
	Vacancies []market.Vacancy
}

// Locations counts the generated locations.
func (m *Market) Locations() int {
	n := 0
	for _, p := range m.Providers {
		n += len(p.Locations)
	}
	return n
}

// Generated market shape. The rating split follows CQC's published overall
// ratings for adult social care (roughly 5% Outstanding, 70% Good, 18%
// Requires improvement, 2% Inadequate, the rest not yet rated); the care home
// versus home care split follows England's roughly 14,000 care homes to
// 13,000 home care locations.
const (
	careHomeShare   = 52 // percent of providers that run care homes
	vacancyShare    = 85 // percent of care homes that have given vacancy figures
	staleShare      = 25 // percent of vacancy figures older than market.StaleAfter
	maxFreshAge     = 6 * 24 * time.Hour
	maxStaleAge     = 28 * 24 * time.Hour // within SetupAge, so no figure predates its home
	maxRatingAgeDay = 3 * 365
)

// GenerateMarket returns a deterministic, fictional market of exactly
// nLocations locations spread over areaIDs. Area i is treated as
// KentDistricts[i%12] for its postcodes, towns and borders, so passing the
// twelve Kent areas in KentDistricts order gives a plausible Kent; any other
// list of areas (a benchmark's) still gets valid postcodes. Rating dates and
// vacancy times are relative to now. The same seed gives the same market.
func GenerateMarket(seed uint64, now time.Time, nLocations int, areaIDs []int64) *Market {
	if len(areaIDs) == 0 || nLocations <= 0 {
		return &Market{}
	}
	g := &generator{
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:   now.UTC(),
		areas: areaIDs,
		names: map[string]bool{},
		ids:   map[string]bool{},
	}
	m := &Market{}
	for left := nLocations; left > 0; {
		p := g.provider(len(m.Providers), left)
		left -= len(p.Locations)
		m.Providers = append(m.Providers, p)
	}
	return m
}

type generator struct {
	rng   *rand.Rand
	now   time.Time
	areas []int64
	names map[string]bool // provider names used
	ids   map[string]bool // CQC ids and Companies House numbers used
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// percent returns true p times in a hundred.
func (g *generator) percent(p int) bool { return g.rng.IntN(100) < p }

// unique draws from gen until it gives a value not drawn before; the id
// spaces are so much larger than any market that it returns at once.
func (g *generator) unique(gen func() string) string {
	for {
		if s := gen(); !g.ids[s] {
			g.ids[s] = true
			return s
		}
	}
}

// cqcID is "1-" and 9 or 10 digits, the form of CQC provider and location ids.
func (g *generator) cqcID() string {
	return g.unique(func() string {
		if g.percent(50) {
			return "1-" + strconv.FormatInt(100_000_000+g.rng.Int64N(900_000_000), 10)
		}
		return "1-" + strconv.FormatInt(1_000_000_000+g.rng.Int64N(9_000_000_000), 10)
	})
}

// companiesHouseNumber is an England and Wales company number (8 digits,
// older companies with leading zeros).
func (g *generator) companiesHouseNumber() string {
	return g.unique(func() string { return fmt.Sprintf("%08d", 1_000_000+g.rng.IntN(15_000_000)) })
}

type providerKind int

const (
	careHomes providerKind = iota
	homeCare
)

func (g *generator) provider(index, left int) ProviderPlan {
	kind := homeCare
	if g.percent(careHomeShare) || index == 0 {
		// The first provider is the demo provider user's: a care home
		// group, so that user has homes and vacancies to keep up to date.
		kind = careHomes
	}
	p := ProviderPlan{Provider: market.Provider{Name: g.providerName(kind), CQCProviderID: g.cqcID()}}
	// Most care providers are limited companies; sole traders, partnerships
	// and some charities have no Companies House number.
	if g.percent(85) {
		p.Provider.CompaniesHouseNumber = g.companiesHouseNumber()
	}
	n := 1 // 45% run one location, 35% two, 20% three
	if r := g.rng.IntN(100); r >= 80 {
		n = 3
	} else if r >= 45 {
		n = 2
	}
	if index == 0 {
		n = 3
	}
	n = min(n, left)
	// A provider is local: its first location's area is its base, and the
	// others are in the same area or one bordering it.
	home := g.rng.IntN(len(g.areas))
	used := map[string]bool{} // outcodes the provider already has a branch in
	for i := range n {
		area := home
		if i > 0 && g.percent(40) {
			if nb := g.neighbours(home); len(nb) > 0 {
				area = nb[g.rng.IntN(len(nb))]
			}
		}
		p.Locations = append(p.Locations, g.location(p.Provider.Name, kind, area, used))
	}
	return p
}

// neighbours returns the indexes of areas that border area i, reading area i
// as KentDistricts[i%12].
func (g *generator) neighbours(i int) []int {
	name := KentDistricts[i%len(KentDistricts)].Name
	var out []int
	for j := range g.areas {
		if Borders(name, KentDistricts[j%len(KentDistricts)].Name) {
			out = append(out, j)
		}
	}
	return out
}

var (
	namePlaces = []string{
		"Oak", "Willow", "Bluebell", "Orchard", "Heritage", "Weald", "Downs", "Meadow", "Cedar", "Beech",
		"Hazel", "Rowan", "Kingfisher", "Primrose", "Lavender", "Harbour", "Seaview", "Coastal", "Stour", "Channel",
		"Greensand", "Chestnut", "Elm", "Ivy", "Holly", "Maple", "Cherry", "Poppy", "Swan", "Heron",
		"Abbey", "Priory", "Fairways", "Brambles", "Hopfield", "Oast", "Cobtree", "Bramley", "Foxglove", "Juniper",
		"Thistle", "Larch", "Sycamore", "Mulberry", "Saxon", "Invicta", "Wayfarer", "Lantern", "Compass", "Haven",
	}
	nameSecond = []string{"", "", "", "Wood", "Lodge", "Vale", "Court", "Park", "Gate", "Field", "Bank", "Ridge", "House", "Hill", "Way", "Leigh"}
	surnames   = []string{
		"Ashworth", "Bennett", "Carter", "Dawson", "Ellis", "Fletcher", "Goodwin", "Harding", "Ingram", "Jarvis",
		"Kendall", "Lambert", "Marsh", "Newman", "Osborne", "Palmer", "Quinn", "Rowe", "Sutton", "Turner",
		"Underwood", "Vaughan", "Walsh", "Yates", "Akande", "Banerjee", "Chowdhury", "Da Silva", "Kowalski", "Okafor",
		"Patel", "Reddy", "Sandhu", "Mensah", "Nowak", "Popescu", "Gill", "Khan", "Hughes", "Price",
	}
	homeSuffixes = []string{"Care Ltd", "Care Homes Ltd", "Healthcare Ltd", "Care Group Ltd", "Nursing Homes Ltd", "Care Limited", "Residential Care Ltd", "Care Homes Limited"}
	careSuffixes = []string{"Homecare Ltd", "Home Care Services Ltd", "Care Services Ltd", "Support Services Ltd", "Care at Home Ltd", "Community Care Ltd", "Domiciliary Care Ltd", "Support Ltd"}
	initials     = "ABCDEGHJKLMNPRSTW"
)

// providerName returns a plausible, unused British care company name.
func (g *generator) providerName(kind providerKind) string {
	suffixes := homeSuffixes
	if kind == homeCare {
		suffixes = careSuffixes
	}
	gen := func() string {
		switch r := g.rng.IntN(100); {
		case r < 60:
			return strings.Join(strings.Fields(g.pick(namePlaces)+" "+g.pick(nameSecond)+" "+g.pick(suffixes)), " ")
		case r < 80:
			return g.pick(surnames) + " " + g.pick(suffixes)
		case r < 90:
			return g.pick(surnames) + " & " + g.pick(surnames) + " " + g.pick(suffixes)
		default:
			a, b := initials[g.rng.IntN(len(initials))], initials[g.rng.IntN(len(initials))]
			return string(a) + " & " + string(b) + " " + g.pick(suffixes)
		}
	}
	for range 20 {
		if n := gen(); !g.names[n] {
			g.names[n] = true
			return n
		}
	}
	// A large benchmark market runs out of fresh combinations; a trading
	// number keeps names distinct, as "Haven Care (2) Ltd" would in life.
	base := gen()
	for i := 2; ; i++ {
		n := strings.Replace(base, " Ltd", " ("+strconv.Itoa(i)+") Ltd", 1)
		n = strings.Replace(n, " Limited", " ("+strconv.Itoa(i)+") Limited", 1)
		if n == base {
			n = base + " " + strconv.Itoa(i)
		}
		if !g.names[n] {
			g.names[n] = true
			return n
		}
	}
}

// tradingName strips the company form from a provider name: branches are
// called "Bluebell Homecare (Margate)", not "Bluebell Homecare Ltd (Margate)".
func tradingName(provider string) string {
	for _, s := range []string{" Limited", " Ltd"} {
		provider = strings.TrimSuffix(provider, s)
	}
	return provider
}

// brand is a provider's name without what it does or its company form
// ("Lambert & Patel" of "Lambert & Patel Domiciliary Care Ltd"), for naming
// a service that is not its main line: "Lambert & Patel Supported Living".
func brand(provider string) string {
	best := ""
	for _, s := range slices.Concat(homeSuffixes, careSuffixes) {
		// The longest match, so "Community Care Ltd" wins over "Care Ltd".
		if strings.HasSuffix(provider, " "+s) && len(s) > len(best) {
			best = s
		}
	}
	if best == "" {
		return tradingName(provider)
	}
	return strings.TrimSuffix(provider, " "+best)
}

var (
	// Home names avoid seaside words: a "Seaview Lodge" in Swanley would jar.
	homeNamePlaces = []string{
		"St Anne's", "St Mary's", "St Martin's", "St Clare's", "Manor Farm", "Oak", "Willow", "Bluebell", "Orchard", "Heritage",
		"Weald", "Downs", "Meadow", "Cedar", "Beech", "Hazel", "Rowan", "Primrose", "Lavender", "Chestnut",
		"Elm", "Ivy", "Holly", "Maple", "Cherry", "Abbey", "Priory", "Brambles", "Hopfield", "Oast",
		"Foxglove", "Juniper", "Larch", "Sycamore", "Mulberry", "Wren", "Lime Tree", "Copper Beech", "Ashgrove", "Hillside",
	}
	homeNameKinds = []string{"House", "Lodge", "Court", "Manor", "Grange", "Hall", "View", "Gardens", "Care Home"}
	streets       = []string{
		"Church Road", "High Street", "Station Road", "London Road", "The Street", "Mill Lane", "Park Road", "Victoria Road",
		"Manor Road", "Grange Road", "Queens Road", "School Lane", "Orchard Way", "Willow Close", "Chestnut Avenue", "Church Lane",
		"Green Lane", "North Street", "Albert Road", "King Street", "West Street", "The Green", "Forge Lane", "Upper Street",
	}
	// Inward-code letters: the Royal Mail never uses C, I, K, M, O or V there.
	inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"
)

// Service mixes, weighted by how common each is in English registration data.
type serviceMix struct {
	weight   int
	services []market.ServiceType
	minBeds  int
	maxBeds  int
}

var (
	careHomeMixes = []serviceMix{
		{20, []market.ServiceType{market.Residential}, 12, 45},
		{18, []market.ServiceType{market.Residential, market.ResidentialHigh}, 20, 60},
		{12, []market.ServiceType{market.Nursing, market.NursingHigh}, 30, 90},
		{10, []market.ServiceType{market.Residential, market.Nursing}, 30, 80},
		{10, []market.ServiceType{market.Residential, market.ResidentialHigh, market.Nursing, market.NursingHigh}, 40, 90},
		{15, []market.ServiceType{market.ResidentialLD}, 6, 12}, // specialist homes have "between 3-6 beds", lower needs 6-10
		{5, []market.ServiceType{market.ResidentialPD}, 6, 12},
		{7, []market.ServiceType{market.ResidentialMH}, 6, 14},
		{3, []market.ServiceType{market.ResidentialLD, market.ResidentialPD}, 6, 12},
	}
	homeCareMixes = []serviceMix{
		{50, []market.ServiceType{market.Homecare}, 0, 0},
		{25, []market.ServiceType{market.Homecare, market.SIS}, 0, 0},
		{10, []market.ServiceType{market.Homecare, market.SupportedLiving}, 0, 0},
		{8, []market.ServiceType{market.SupportedLiving}, 0, 0},
		{7, []market.ServiceType{market.ExtraCare}, 0, 0},
	}
)

func (g *generator) mix(mixes []serviceMix) serviceMix {
	total := 0
	for _, m := range mixes {
		total += m.weight
	}
	r := g.rng.IntN(total)
	for _, m := range mixes {
		if r < m.weight {
			return m
		}
		r -= m.weight
	}
	return mixes[len(mixes)-1]
}

func (g *generator) location(provider string, kind providerKind, area int, used map[string]bool) LocationPlan {
	d := KentDistricts[area%len(KentDistricts)]
	outcode := g.pick(d.Outcodes)
	// A home care agency does not open two branches in one town; a few
	// tries find another outcode where the district has one.
	for try := 0; kind == homeCare && used[outcode] && try < 5; try++ {
		outcode = g.pick(d.Outcodes)
	}
	used[outcode] = true
	town := outcodeTowns[outcode]
	l := market.Location{
		CQCLocationID: g.cqcID(),
		Address:       strconv.Itoa(1+g.rng.IntN(180)) + " " + g.pick(streets),
		Town:          town,
		Postcode: outcode + " " + strconv.Itoa(g.rng.IntN(10)) +
			string(inwardLetters[g.rng.IntN(len(inwardLetters))]) + string(inwardLetters[g.rng.IntN(len(inwardLetters))]),
		AreaID: g.areas[area],
	}
	var m serviceMix
	if kind == careHomes {
		m = g.mix(careHomeMixes)
		// Only a home registered for nursing calls itself a nursing home.
		kind := "Residential Home"
		if slices.Contains(m.services, market.Nursing) {
			kind = "Nursing Home"
		}
		l.Name = g.pick(homeNamePlaces) + " " + g.pick(append(slices.Clone(homeNameKinds), kind))
		l.RegisteredBeds = m.minBeds + g.rng.IntN(m.maxBeds-m.minBeds+1)
	} else {
		m = g.mix(homeCareMixes)
		switch m.services[0] {
		case market.ExtraCare:
			l.Name = g.pick(homeNamePlaces) + " Court Extra Care"
		case market.SupportedLiving:
			l.Name = brand(provider) + " Supported Living (" + town + ")"
		default:
			l.Name = tradingName(provider) + " (" + town + ")"
		}
	}
	l.ServiceTypes = append([]market.ServiceType(nil), m.services...)
	l.Rating = g.rating()
	if l.Rating != market.NotRated {
		d := g.now.AddDate(0, 0, -30-g.rng.IntN(maxRatingAgeDay-30))
		d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		l.RatingDate = &d
	}
	plan := LocationPlan{Location: l}
	if kind == careHomes && g.percent(vacancyShare) {
		for _, st := range l.ServiceTypes {
			age := time.Hour + time.Duration(g.rng.Int64N(int64(maxFreshAge-time.Hour)))
			if g.percent(staleShare) {
				age = market.StaleAfter + 24*time.Hour + time.Duration(g.rng.Int64N(int64(maxStaleAge-market.StaleAfter-24*time.Hour)))
			}
			// Most homes are nearly full: none or one free is the usual answer.
			free := max(0, g.rng.IntN(9)-3)
			plan.Vacancies = append(plan.Vacancies, market.Vacancy{ServiceType: st, Vacancies: free, UpdatedAt: g.now.Add(-age)})
		}
	}
	return plan
}

// rating draws an overall CQC rating with CQC's national proportions.
func (g *generator) rating() market.Rating {
	switch r := g.rng.IntN(100); {
	case r < 5:
		return market.Outstanding
	case r < 75:
		return market.Good
	case r < 93:
		return market.RequiresImprovement
	case r < 95:
		return market.Inadequate
	default:
		return market.NotRated
	}
}
