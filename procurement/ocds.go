package procurement

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket/money"
)

// Notices published to the Central Digital Platform are in the Open
// Contracting Data Standard (OCDS 1.1.5). This file turns an agreement's
// tender notices, contract award notices and contract details notices into
// one release package. It is pure: what to publish goes in, JSON-ready
// structs come out.

// CPV codes for social care (Common Procurement Vocabulary).
const (
	CPVHealthAndSocialWork    = "85000000" // Health and social work services
	CPVSocialWorkWithAccomm   = "85311000" // Social work services with accommodation
	CPVSocialWorkWithoutAcc   = "85312000" // Social work services without accommodation
	DefaultOCIDPrefix         = "ocds-caremarket-"
	OCDSVersion               = "1.1"
	ocdsCurrency              = "GBP"
	cpvScheme                 = "CPV"
	cpvHealthAndSocialLabel   = "Health and social work services"
	cpvWithAccommodation      = "Social work services with accommodation"
	cpvWithoutAccommodation   = "Social work services without accommodation"
	ocdsPartyPrefixCouncil    = "caremarket-council-"
	ocdsPartyPrefixProvider   = "caremarket-provider-"
	ocdsDefaultPackageURIBase = "https://caremarket.invalid/ocds/"
)

// OCDSOptions say how to publish.
type OCDSOptions struct {
	// OCIDPrefix is the publisher's registered prefix (default
	// "ocds-caremarket-").
	OCIDPrefix string
	// BaseURI is where packages are published; the package's uri is BaseURI
	// followed by the ocid and ".json".
	BaseURI string
	// Published is the package's publication time.
	Published time.Time
}

// NoticeSet is everything an agreement's notices are made from.
type NoticeSet struct {
	CouncilSlug string
	CouncilName string
	Agreement   Agreement
	Windows     []Window
	// Tenderers counts submitted applications per window id.
	Tenderers map[int64]int
	Awards    []Award
	Contracts []Contract
}

// OCDSPackage is an OCDS release package.
type OCDSPackage struct {
	URI           string        `json:"uri"`
	Version       string        `json:"version"`
	PublishedDate string        `json:"publishedDate"`
	Publisher     OCDSPublisher `json:"publisher"`
	Releases      []OCDSRelease `json:"releases"`
}

// OCDSPublisher names who publishes the package.
type OCDSPublisher struct {
	Name string `json:"name"`
}

// OCDSRelease is one notice.
type OCDSRelease struct {
	OCID           string         `json:"ocid"`
	ID             string         `json:"id"`
	Date           string         `json:"date"`
	Tag            []string       `json:"tag"`
	InitiationType string         `json:"initiationType"`
	Language       string         `json:"language"`
	Parties        []OCDSParty    `json:"parties"`
	Buyer          *OCDSOrgRef    `json:"buyer,omitempty"`
	Tender         *OCDSTender    `json:"tender,omitempty"`
	Awards         []OCDSAward    `json:"awards,omitempty"`
	Contracts      []OCDSContract `json:"contracts,omitempty"`
}

// OCDSParty is an organisation in a release.
type OCDSParty struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// OCDSOrgRef refers to a party.
type OCDSOrgRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OCDSValue is an amount of money.
type OCDSValue struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// OCDSPeriod is a span of time.
type OCDSPeriod struct {
	StartDate     string `json:"startDate,omitempty"`
	EndDate       string `json:"endDate,omitempty"`
	MaxExtentDate string `json:"maxExtentDate,omitempty"`
}

// OCDSClassification is a CPV code.
type OCDSClassification struct {
	Scheme      string `json:"scheme"`
	ID          string `json:"id"`
	Description string `json:"description"`
}

// OCDSItem is what is bought: here, a lot.
type OCDSItem struct {
	ID                        string               `json:"id"`
	Description               string               `json:"description"`
	Classification            OCDSClassification   `json:"classification"`
	AdditionalClassifications []OCDSClassification `json:"additionalClassifications,omitempty"`
}

// OCDSTender is the tender section.
type OCDSTender struct {
	ID                       string       `json:"id"`
	Title                    string       `json:"title"`
	Description              string       `json:"description,omitempty"`
	Status                   string       `json:"status"`
	ProcuringEntity          *OCDSOrgRef  `json:"procuringEntity,omitempty"`
	Items                    []OCDSItem   `json:"items,omitempty"`
	Value                    *OCDSValue   `json:"value,omitempty"`
	ProcurementMethod        string       `json:"procurementMethod"`
	ProcurementMethodDetails string       `json:"procurementMethodDetails"`
	MainProcurementCategory  string       `json:"mainProcurementCategory"`
	AwardCriteria            string       `json:"awardCriteria,omitempty"`
	AwardCriteriaDetails     string       `json:"awardCriteriaDetails,omitempty"`
	SubmissionMethod         []string     `json:"submissionMethod,omitempty"`
	TenderPeriod             *OCDSPeriod  `json:"tenderPeriod,omitempty"`
	ContractPeriod           *OCDSPeriod  `json:"contractPeriod,omitempty"`
	NumberOfTenderers        *int         `json:"numberOfTenderers,omitempty"`
	Tenderers                []OCDSOrgRef `json:"tenderers,omitempty"`
}

// OCDSAward is a contract award.
type OCDSAward struct {
	ID             string       `json:"id"`
	Title          string       `json:"title"`
	Description    string       `json:"description,omitempty"`
	Status         string       `json:"status"`
	Date           string       `json:"date,omitempty"`
	Suppliers      []OCDSOrgRef `json:"suppliers"`
	Items          []OCDSItem   `json:"items,omitempty"`
	ContractPeriod *OCDSPeriod  `json:"contractPeriod,omitempty"`
}

// OCDSAmendment records a change to a contract.
type OCDSAmendment struct {
	ID          string `json:"id"`
	Date        string `json:"date"`
	Description string `json:"description"`
}

// OCDSContract is a contract's details.
type OCDSContract struct {
	ID          string          `json:"id"`
	AwardID     string          `json:"awardID"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	Status      string          `json:"status"`
	Period      *OCDSPeriod     `json:"period,omitempty"`
	Value       *OCDSValue      `json:"value,omitempty"`
	DateSigned  string          `json:"dateSigned,omitempty"`
	Amendments  []OCDSAmendment `json:"amendments,omitempty"`
}

// OCID is the agreement's open contracting id: prefix, council, reference.
func OCID(prefix, councilSlug, reference string) string {
	if prefix == "" {
		prefix = DefaultOCIDPrefix
	}
	return prefix + councilSlug + "-" + reference
}

func ocdsTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func ocdsMoney(pence int64) *OCDSValue {
	return &OCDSValue{Amount: float64(pence) / 100, Currency: ocdsCurrency}
}

// CPV returns the lot's main CPV code and its description: social work with
// accommodation (care homes) or without (care at home, supported living).
func (l Lot) CPV() OCDSClassification {
	if l.WithAccommodation() {
		return OCDSClassification{Scheme: cpvScheme, ID: CPVSocialWorkWithAccomm, Description: cpvWithAccommodation}
	}
	return OCDSClassification{Scheme: cpvScheme, ID: CPVSocialWorkWithoutAcc, Description: cpvWithoutAccommodation}
}

func lotItem(l Lot) OCDSItem {
	return OCDSItem{ID: "lot-" + strconv.Itoa(l.Number), Description: fmt.Sprintf("Lot %d: %s", l.Number, l.Title), Classification: l.CPV(),
		AdditionalClassifications: []OCDSClassification{{Scheme: cpvScheme, ID: CPVHealthAndSocialWork, Description: cpvHealthAndSocialLabel}}}
}

func procurementMethod(a *Agreement, w *Window) (method, details string) {
	switch {
	case a.Type == DPS:
		return "selective", "Dynamic purchasing system (PCR 2015 reg. 34): open to new suppliers throughout its life"
	case a.Type == OpenFramework && w != nil && w.Kind == Reopening:
		return "open", "Open framework reopening: a new framework in the scheme (Procurement Act 2023 s.49)"
	case a.Type == OpenFramework:
		return "open", "Open framework (Procurement Act 2023 s.49)"
	case a.Type == ClosedFramework:
		return "open", "Framework (" + a.Regime.Label() + ")"
	case a.Type == Spot:
		return "direct", "Spot purchase"
	}
	return "open", a.Type.Label() + " (" + a.Regime.Label() + ")"
}

// ReleasePackage builds the OCDS release package of an agreement's notices:
// a tender notice for each window, a contract award notice for each window
// whose awards are published, and a contract details notice for each
// contract. now decides each tender's status.
func ReleasePackage(n NoticeSet, o OCDSOptions, now time.Time) *OCDSPackage {
	a := &n.Agreement
	ocid := OCID(o.OCIDPrefix, n.CouncilSlug, a.Reference)
	base := o.BaseURI
	if base == "" {
		base = ocdsDefaultPackageURIBase
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	published := o.Published
	if published.IsZero() {
		published = now
	}
	council := OCDSParty{ID: ocdsPartyPrefixCouncil + n.CouncilSlug, Name: n.CouncilName, Roles: []string{"buyer", "procuringEntity"}}
	b := &releases{n: &n, a: a, ocid: ocid, now: now, council: council, buyer: &OCDSOrgRef{ID: council.ID, Name: council.Name},
		lotsByID: map[int64]Lot{}, agreementPeriod: &OCDSPeriod{StartDate: ocdsTime(a.Start), EndDate: ocdsTime(a.End)}}
	for _, l := range a.Lots {
		b.lotsByID[l.ID] = l
	}
	pkg := &OCDSPackage{URI: base + url.PathEscape(ocid) + ".json", Version: OCDSVersion, PublishedDate: ocdsTime(published),
		Publisher: OCDSPublisher{Name: n.CouncilName}}
	windows := append([]Window(nil), n.Windows...)
	sort.Slice(windows, func(i, j int) bool { return windows[i].Opens.Before(windows[j].Opens) })
	pkg.Releases = append(pkg.Releases, b.tenderNotices(windows)...)
	pkg.Releases = append(pkg.Releases, b.awardNotices(windows)...)
	pkg.Releases = append(pkg.Releases, b.contractNotices()...)

	// An agreement with nothing yet to publish still has its planned tender.
	if len(pkg.Releases) == 0 {
		pkg.Releases = append(pkg.Releases, OCDSRelease{OCID: ocid, ID: ocid + "-planning", Date: ocdsTime(a.CreatedAt.Add(0)),
			Tag: []string{"planning"}, InitiationType: "tender", Language: "en", Parties: []OCDSParty{council}, Buyer: b.buyer,
			Tender: b.tender(nil, "planned")})
		if a.CreatedAt.IsZero() {
			pkg.Releases[0].Date = ocdsTime(published)
		}
	}
	return pkg
}

// releases holds what every release of one agreement's package shares.
type releases struct {
	n               *NoticeSet
	a               *Agreement
	ocid            string
	now             time.Time
	council         OCDSParty
	buyer           *OCDSOrgRef
	lotsByID        map[int64]Lot
	agreementPeriod *OCDSPeriod
}

// items are the lots of ids, as OCDS items.
func (b *releases) items(ids []int64) []OCDSItem {
	var out []OCDSItem
	for _, id := range ids {
		if l, ok := b.lotsByID[id]; ok {
			out = append(out, lotItem(l))
		}
	}
	return out
}

// tender is the agreement's tender as seen through window w (nil: the
// whole agreement, every lot).
func (b *releases) tender(w *Window, status string) *OCDSTender {
	a := b.a
	method, details := procurementMethod(a, w)
	t := &OCDSTender{ID: a.Reference, Title: a.Title, Description: a.Description, Status: status, ProcuringEntity: b.buyer,
		Value: ocdsMoney(a.LifetimeValuePence), ProcurementMethod: method, ProcurementMethodDetails: details,
		MainProcurementCategory: "services", AwardCriteria: "ratedCriteria",
		AwardCriteriaDetails: "Selection criteria (pass or fail) then weighted quality questions with pass marks",
		SubmissionMethod:     []string{"electronicSubmission"}, ContractPeriod: b.agreementPeriod}
	if w != nil {
		t.ID = a.Reference + "-W" + strconv.FormatInt(w.ID, 10)
		t.Title = a.Title + ": " + w.Title
		t.Items = b.items(w.LotIDs)
		t.TenderPeriod = &OCDSPeriod{StartDate: ocdsTime(w.Opens), EndDate: ocdsTime(w.Deadline)}
		if c, ok := b.n.Tenderers[w.ID]; ok {
			t.NumberOfTenderers = &c
		}
	} else {
		var ids []int64
		for _, l := range a.Lots {
			ids = append(ids, l.ID)
		}
		t.Items = b.items(ids)
	}
	return t
}

// tenderNotices are the tender notices, one for each window.
func (b *releases) tenderNotices(windows []Window) []OCDSRelease {
	var out []OCDSRelease
	for i := range windows {
		w := &windows[i]
		status := "active"
		switch w.Status(b.now) {
		case "upcoming":
			status = "planned"
		case "closed":
			status = "complete"
		}
		out = append(out, OCDSRelease{OCID: b.ocid, ID: b.ocid + "-tender-" + strconv.FormatInt(w.ID, 10), Date: ocdsTime(w.Opens),
			Tag: []string{"tender"}, InitiationType: "tender", Language: "en", Parties: []OCDSParty{b.council}, Buyer: b.buyer, Tender: b.tender(w, status)})
	}
	return out
}

func awardID(aw Award) string { return "award-" + strconv.FormatInt(aw.ID, 10) }

func supplier(id int64, name string) OCDSOrgRef {
	return OCDSOrgRef{ID: ocdsPartyPrefixProvider + strconv.FormatInt(id, 10), Name: name}
}

// awardNotices are the contract award notices: one for each window with
// published awards.
func (b *releases) awardNotices(windows []Window) []OCDSRelease {
	awardsByWindow := map[int64][]Award{}
	var windowOrder []int64
	for _, aw := range b.n.Awards {
		if aw.NoticeAt == nil {
			continue
		}
		if _, ok := awardsByWindow[aw.WindowID]; !ok {
			windowOrder = append(windowOrder, aw.WindowID)
		}
		awardsByWindow[aw.WindowID] = append(awardsByWindow[aw.WindowID], aw)
	}
	windowByID := map[int64]*Window{}
	for i := range windows {
		windowByID[windows[i].ID] = &windows[i]
	}
	var out []OCDSRelease
	for _, wid := range windowOrder {
		aws := awardsByWindow[wid]
		sort.Slice(aws, func(i, j int) bool { return aws[i].ID < aws[j].ID })
		rel := OCDSRelease{OCID: b.ocid, ID: b.ocid + "-award-" + strconv.FormatInt(wid, 10), Date: ocdsTime(*aws[0].NoticeAt),
			Tag: []string{"award"}, InitiationType: "tender", Language: "en", Buyer: b.buyer, Tender: b.tender(windowByID[wid], "complete")}
		parties := []OCDSParty{b.council}
		seen := map[int64]bool{}
		for _, aw := range aws {
			sup := supplier(aw.ProviderID, aw.ProviderName)
			if !seen[aw.ProviderID] {
				seen[aw.ProviderID] = true
				parties = append(parties, OCDSParty{ID: sup.ID, Name: sup.Name, Roles: []string{"supplier", "tenderer"}})
			}
			l := b.lotsByID[aw.LotID]
			oa := OCDSAward{ID: awardID(aw), Title: fmt.Sprintf("Lot %d: %s", l.Number, l.Title), Status: "active", Date: ocdsTime(*aw.NoticeAt),
				Suppliers: []OCDSOrgRef{sup}, Items: []OCDSItem{lotItem(l)}, ContractPeriod: b.agreementPeriod}
			if aw.Standstill != nil && aw.Standstill.Applies {
				oa.Description = "Standstill: " + aw.Standstill.Rule + ", ending at midnight on " + fmtDate(aw.Standstill.Ends)
			}
			if windowByID[wid] == nil {
				rel.Tender = b.tender(nil, "complete")
			}
			rel.Awards = append(rel.Awards, oa)
		}
		rel.Parties = parties
		out = append(out, rel)
	}
	return out
}

// contractNotices are the contract details notices, one for each contract.
func (b *releases) contractNotices() []OCDSRelease {
	awardsByID := map[int64]Award{}
	for _, aw := range b.n.Awards {
		awardsByID[aw.ID] = aw
	}
	contracts := append([]Contract(nil), b.n.Contracts...)
	sort.Slice(contracts, func(i, j int) bool { return contracts[i].ID < contracts[j].ID })
	var out []OCDSRelease
	for _, c := range contracts {
		sup := supplier(c.ProviderID, c.ProviderName)
		rel := OCDSRelease{OCID: b.ocid, ID: b.ocid + "-contract-" + strconv.FormatInt(c.ID, 10), Date: ocdsTime(c.EnteredOn),
			Tag: []string{"contract"}, InitiationType: "tender", Language: "en", Buyer: b.buyer,
			Parties: []OCDSParty{b.council, {ID: sup.ID, Name: sup.Name, Roles: []string{"supplier"}}}}
		if c.EnteredOn.IsZero() {
			rel.Date = ocdsTime(c.CreatedAt)
		}
		// A contract references its award; a contract recorded without one
		// (entered before caremarket) carries its own award block.
		aid := ""
		if aw, ok := awardsByID[c.AwardID]; ok && c.AwardID != 0 {
			aid = awardID(aw)
		} else {
			aid = "award-contract-" + strconv.FormatInt(c.ID, 10)
			rel.Awards = []OCDSAward{{ID: aid, Title: c.Title, Status: "active", Suppliers: []OCDSOrgRef{sup},
				ContractPeriod: &OCDSPeriod{StartDate: ocdsTime(c.Start), EndDate: ocdsTime(c.End)}}}
		}
		rel.Contracts = []OCDSContract{contractBlock(&c, aid, b.now)}
		out = append(out, rel)
	}
	return out
}

// contractBlock is contract c as an OCDS contract of award aid, its
// extensions taken and variations as amendments.
func contractBlock(c *Contract, aid string, now time.Time) OCDSContract {
	status := map[string]string{"pending": "pending", "active": "active", "ended": "terminated"}[c.Status(now)]
	oc := OCDSContract{ID: "contract-" + strconv.FormatInt(c.ID, 10), AwardID: aid, Title: c.Title, Status: status,
		Description: contractDescription(c),
		Period:      &OCDSPeriod{StartDate: ocdsTime(c.Start), EndDate: ocdsTime(c.End), MaxExtentDate: ocdsTime(c.MaxEnd())},
		Value:       ocdsMoney(c.VariedLifetimeValuePence())}
	if !c.EnteredOn.IsZero() {
		oc.DateSigned = ocdsTime(c.EnteredOn)
	}
	for i, e := range c.Extensions {
		if e.Taken && e.TakenOn != nil {
			oc.Amendments = append(oc.Amendments, OCDSAmendment{ID: "extension-" + strconv.Itoa(i+1), Date: ocdsTime(*e.TakenOn),
				Description: fmt.Sprintf("Extension option %d taken: %d months", i+1, e.Months)})
		}
	}
	for i, v := range c.Variations {
		oc.Amendments = append(oc.Amendments, OCDSAmendment{ID: "variation-" + strconv.Itoa(i+1), Date: ocdsTime(v.Date),
			Description: fmt.Sprintf("%s (value change %s)", v.Description, money.Money(v.ValueChangePence).Short())})
	}
	return oc
}

func contractDescription(c *Contract) string {
	var parts []string
	if len(c.Extensions) > 0 {
		var ex []string
		for _, e := range c.Extensions {
			state := "available"
			if e.Taken {
				state = "taken"
			}
			ex = append(ex, fmt.Sprintf("%d months (%s)", e.Months, state))
		}
		parts = append(parts, "Extension options: "+strings.Join(ex, ", "))
	}
	for _, b := range c.BreakClauses {
		parts = append(parts, fmt.Sprintf("Break clause from %s on %d months' notice: %s", fmtDate(b.From), b.NoticeMonths, b.Description))
	}
	return strings.Join(parts, ". ")
}
