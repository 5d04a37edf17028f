package cqc

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// DirectoryHeader is the header row of the "HSCA Active Locations" sheet in
// CQC's published order. The reader does not depend on the order; the
// generator and the test fixtures use it so they look like the real file.
var DirectoryHeader = []string{
	"Location ID", "Location ODS Code", "Location Name", "Location Telephone Number", "Location Web Address",
	"Location HSCA start date", "Dormant (Y/N)", "Care home?", "Care homes beds", "Location Type/Sector",
	"Location Inspection Directorate", "Location Primary Inspection Category", "Location Latest Overall Rating",
	"Publication Date", "Inherited Rating (Y/N)", "Location Region", "Location NHS Region", "Location Local Authority",
	"Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code", "Location Commissioning CCG Name",
	"Location Street Address", "Location Address Line 2", "Location City", "Location County", "Location Postal Code",
	"Location Paf ID", "Location UPRN ID", "Location Latitude", "Location Longitude", "Location Parliamentary Constituency",
	"Location Also Known As", "Provider ID", "Provider Name", "Provider HSCA start date", "Provider Companies House Number",
	"Provider Charity Number", "Provider Type/Sector", "Provider Inspection Directorate", "Provider Primary Inspection Category",
	"Provider Ownership Type", "Provider Telephone Number", "Provider Web Address", "Provider Street Address",
	"Provider Address Line 2", "Provider City", "Provider County", "Provider Postal Code", "Provider Paf ID", "Provider UPRN ID",
	"Provider Local Authority", "Provider Region", "Provider NHS Region", "Provider Latitude", "Provider Longitude",
	"Provider Parliamentary Constituency", "Provider Nominated Individual Name", "Provider Main Partner Name", "Brand ID", "Brand Name",
	"Regulated activity - Accommodation for persons who require nursing or personal care",
	"Regulated activity - Accommodation for persons who require treatment for substance misuse",
	"Regulated activity - Assessment or medical treatment for persons detained under the Mental Health Act 1983",
	"Regulated activity - Diagnostic and screening procedures",
	"Regulated activity - Family planning services",
	"Regulated activity - Management of supply of blood and blood derived products",
	"Regulated activity - Maternity and midwifery services",
	"Regulated activity - Nursing care",
	"Regulated activity - Personal care",
	"Regulated activity - Services in slimming clinics",
	"Regulated activity - Surgical procedures",
	"Regulated activity - Termination of pregnancies",
	"Regulated activity - Transport services, triage and medical advice provided remotely",
	"Regulated activity - Treatment of disease, disorder or injury",
	"Service type - Acute services with overnight beds",
	"Service type - Acute services without overnight beds / listed acute services with or without overnight beds",
	"Service type - Ambulance service",
	"Service type - Blood and Transplant service",
	"Service type - Care home service with nursing",
	"Service type - Care home service without nursing",
	"Service type - Community based services for people who misuse substances",
	"Service type - Community based services for people with a learning disability",
	"Service type - Community based services for people with mental health needs",
	"Service type - Community health care services - Independent Midwives",
	"Service type - Community health care services - Nurses Agency only",
	"Service type - Community healthcare service",
	"Service type - Dental service",
	"Service type - Diagnostic and/or screening service",
	"Service type - Diagnostic and/or screening service - single handed sessional providers",
	"Service type - Doctors consultation service",
	"Service type - Doctors treatment service",
	"Service type - Domiciliary care service",
	"Service type - Extra Care housing services",
	"Service type - Hospice services",
	"Service type - Hospice services at home",
	"Service type - Hospital services for people with mental health needs, learning disabilities and problems with substance misuse",
	"Service type - Hyperbaric Chamber",
	"Service type - Long term conditions services",
	"Service type - Mobile doctors service",
	"Service type - Prison Healthcare Services",
	"Service type - Rehabilitation services",
	"Service type - Remote clinical advice service",
	"Service type - Residential substance misuse treatment and rehabilitation service",
	"Service type - Shared Lives",
	"Service type - Specialist college service",
	"Service type - Supported housing",
	"Service type - Supported living service",
	"Service type - Urgent care services",
	"Service user band - Children 0-18 years",
	"Service user band - Dementia",
	"Service user band - Learning disabilities or autistic spectrum disorder",
	"Service user band - Mental Health",
	"Service user band - Older People",
	"Service user band - People detained under the Mental Health Act",
	"Service user band - People who misuse drugs and alcohol",
	"Service user band - People with an eating disorder",
	"Service user band - Physical Disability",
	"Service user band - Sensory Impairment",
	"Service user band - Whole Population",
	"Service user band - Younger Adults",
}

// DirectoryNotice is what recent editions put above the header row.
var DirectoryNotice = [][]string{
	{"HSCA Active Locations"},
	{"Contains public sector information licensed under the Open Government Licence v3.0. Data as at the date below; ratings are the latest published."},
	{"Data as at", "01/05/2025"},
}

// DirectoryRow builds a row in DirectoryHeader's layout from column values
// by name (values of "Regulated activity - …" and the like are "Y").
func DirectoryRow(values map[string]string) []string {
	row := make([]string, len(DirectoryHeader))
	for i, h := range DirectoryHeader {
		row[i] = values[h]
	}
	return row
}

// GenerateOptions shapes a generated directory.
type GenerateOptions struct {
	Rows           int
	LocalAuthority string   // every row's "Location Local Authority"; default "Kent"
	Outcodes       []string // postcode districts to spread locations over; default a few of Kent's
	Seed           uint64
	// Edition 0 is a first file; edition n > 0 is the same market n months
	// later: about 2% of ratings change (some to Inadequate), 1% of
	// locations are gone and 1% are new.
	Edition int
}

// GenerateDirectory writes a directory file in the real layout (BOM, notice
// rows, header, data) with o.Rows locations, for benchmarks and load tests.
// The same options always give the same file.
func GenerateDirectory(w io.Writer, o GenerateOptions) error {
	if o.LocalAuthority == "" {
		o.LocalAuthority = "Kent"
	}
	if len(o.Outcodes) == 0 {
		o.Outcodes = []string{"CT9", "CT1", "ME14", "TN23", "DA1", "CT16", "ME4", "TN1"}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	for _, n := range DirectoryNotice {
		cw.Write(n)
	}
	cw.Write(DirectoryHeader)

	index := make(map[string]int, len(DirectoryHeader))
	for i, h := range DirectoryHeader {
		index[h] = i
	}
	row := make([]string, len(DirectoryHeader))
	set := func(col, v string) { row[index[col]] = v }
	ratings := []string{"Good", "Good", "Good", "Good", "Good", "Good", "Good", "Requires improvement", "Requires improvement", "Outstanding", "Not Rated", ""}
	published := time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC)

	total := o.Rows
	if o.Edition > 0 {
		total += o.Rows / 100 // the new ones, after the old
	}
	for i := range total {
		if o.Edition > 0 && i < o.Rows && i%100 == 50 {
			continue // deregistered since the first edition
		}
		// Each location's facts come from its own seed, so a later
		// edition describes the same location the same way.
		r := rand.New(rand.NewPCG(o.Seed, uint64(i)))
		clear(row)
		kind := r.IntN(20)
		outcode := o.Outcodes[r.IntN(len(o.Outcodes))]
		provider := i / 3
		set("Location ID", "1-"+strconv.Itoa(1000000000+i))
		set("Location Name", generatedName(r, i))
		set("Location HSCA start date", "01/10/2010")
		set("Dormant (Y/N)", yn(r.IntN(100) == 0))
		set("Location Type/Sector", "Social Care Org")
		set("Location Inspection Directorate", "Adult social care")
		rating := ratings[r.IntN(len(ratings))]
		date := published.AddDate(0, 0, r.IntN(900))
		if o.Edition > 0 && i%50 == 25 {
			// A re-inspection: every fourth one fails.
			rating = []string{"Inadequate", "Good", "Requires improvement", "Outstanding"}[(i/50)%4]
			date = date.AddDate(0, o.Edition*4, 0)
		}
		set("Location Latest Overall Rating", rating)
		if rating != "" && rating != "Not Rated" {
			set("Publication Date", date.Format("02/01/2006"))
		}
		// Columns the reader ignores, filled so the file is as heavy as the real one.
		set("Location ODS Code", "VN"+strconv.Itoa(10000+i%90000))
		set("Location Telephone Number", "0"+strconv.Itoa(1227000000+r.IntN(999999)))
		setFixedColumns(set, i, provider, o.LocalAuthority)
		set("Location Street Address", strconv.Itoa(1+r.IntN(200))+" "+[]string{"High Street", "Church Road", "Station Road", "London Road", "The Avenue"}[r.IntN(5)])
		if r.IntN(3) == 0 {
			set("Location Address Line 2", "Westgate-on-Sea")
		}
		set("Location City", []string{"Margate", "Canterbury", "Maidstone", "Ashford", "Dartford", "Dover", "Chatham", "Tunbridge Wells"}[r.IntN(8)])
		set("Location County", "Kent")
		set("Location Postal Code", fmt.Sprintf("%s %d%c%c", outcode, r.IntN(10), 'A'+rune(r.IntN(26)), 'A'+rune(r.IntN(26))))
		set("Location Latitude", strconv.FormatFloat(51+r.Float64()/2, 'f', 6, 64))
		set("Location Longitude", strconv.FormatFloat(0.3+r.Float64(), 'f', 6, 64))
		set("Provider ID", "1-"+strconv.Itoa(200000000+provider))
		set("Provider Name", generatedProvider(provider))
		set("Provider Type/Sector", "Social Care Org")
		set("Service user band - Older People", "Y")
		setService(set, r, kind)
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("cqc: write generated directory: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("cqc: write generated directory: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cqc: write generated directory: %w", err)
	}
	return nil
}

// setFixedColumns fills columns the reader ignores, so the file is as
// heavy as the real one: the same for every location but for its number i
// and its provider's.
func setFixedColumns(set func(col, v string), i, provider int, localAuthority string) {
	set("Location Web Address", "www.example-care-"+strconv.Itoa(provider)+".co.uk")
	set("Location NHS Region", "South East")
	set("Location ONSPD CCG Code", "E38000237")
	set("Location ONSPD CCG", "NHS Kent and Medway ICB")
	set("Location Commissioning CCG Code", "E38000237")
	set("Location Commissioning CCG Name", "NHS Kent and Medway ICB")
	set("Location UPRN ID", strconv.Itoa(100060000000+i))
	set("Location Parliamentary Constituency", "East Thanet")
	set("Provider HSCA start date", "01/10/2010")
	set("Provider Companies House Number", fmt.Sprintf("%08d", 1000000+provider))
	set("Provider Inspection Directorate", "Adult social care")
	set("Provider Primary Inspection Category", "Residential social care")
	set("Provider Ownership Type", "Organisation")
	set("Provider Telephone Number", "01227 000 000")
	set("Provider Street Address", "Unit "+strconv.Itoa(provider%40)+", Business Park")
	set("Provider City", "Canterbury")
	set("Provider County", "Kent")
	set("Provider Postal Code", "CT1 1AA")
	set("Provider Local Authority", localAuthority)
	set("Provider Region", "South East")
	set("Provider NHS Region", "South East")
	set("Provider Nominated Individual Name", "A Person")
	set("Brand ID", "-")
	set("Brand Name", "-")
	set("Location Region", "South East")
	set("Location Local Authority", localAuthority)
}

// setService fills the columns saying what a location of this kind is: a
// residential home (0-7), a nursing home (8-11), a home care agency
// (12-17), supported living (18) or extra care (19).
func setService(set func(col, v string), r *rand.Rand, kind int) {
	switch {
	case kind < 8: // residential home
		set("Care home?", "Y")
		set("Care homes beds", strconv.Itoa(6+r.IntN(60)))
		set("Location Primary Inspection Category", "Residential social care")
		set("Regulated activity - Accommodation for persons who require nursing or personal care", "Y")
		set("Service type - Care home service without nursing", "Y")
		set("Service user band - Dementia", yn(r.IntN(2) == 0))
		set("Service user band - Learning disabilities or autistic spectrum disorder", yn(kind == 1))
		set("Service user band - Physical Disability", yn(kind == 2))
		set("Service user band - Mental Health", yn(kind == 3))
	case kind < 12: // nursing home
		set("Care home?", "Y")
		set("Care homes beds", strconv.Itoa(20+r.IntN(100)))
		set("Location Primary Inspection Category", "Residential social care")
		set("Regulated activity - Accommodation for persons who require nursing or personal care", "Y")
		set("Regulated activity - Treatment of disease, disorder or injury", "Y")
		set("Regulated activity - Nursing care", "Y")
		set("Service type - Care home service with nursing", "Y")
		set("Service user band - Dementia", yn(r.IntN(2) == 0))
	case kind < 18: // home care agency
		set("Care home?", "N")
		set("Location Primary Inspection Category", "Community based adult social care services")
		set("Regulated activity - Personal care", "Y")
		set("Service type - Domiciliary care service", "Y")
		set("Service user band - Younger Adults", "Y")
	case kind == 18:
		set("Care home?", "N")
		set("Location Primary Inspection Category", "Community based adult social care services")
		set("Regulated activity - Personal care", "Y")
		set("Service type - Supported living service", "Y")
		set("Service user band - Learning disabilities or autistic spectrum disorder", "Y")
	default:
		set("Care home?", "N")
		set("Location Primary Inspection Category", "Community based adult social care services")
		set("Regulated activity - Personal care", "Y")
		set("Service type - Extra Care housing services", "Y")
		set("Service type - Domiciliary care service", "Y")
	}
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return ""
}

var (
	nameFirst  = []string{"Sea", "Oak", "Elm", "Beech", "Cliff", "Harbour", "Orchard", "Meadow", "Abbey", "Priory", "Willow", "Hazel"}
	nameSecond = []string{"view", "field", "lands", "croft", "bank", "mead", "court", "lodge", "holme", "side"}
	nameKind   = []string{"House", "Care Home", "Nursing Home", "Lodge", "Homecare", "Care Services", "Court"}
)

func generatedName(r *rand.Rand, i int) string {
	n := nameFirst[r.IntN(len(nameFirst))] + nameSecond[r.IntN(len(nameSecond))] + " " + nameKind[r.IntN(len(nameKind))]
	if i%7 == 0 {
		n += ", " + strconv.Itoa(i) // a comma, so the writer must quote it
	}
	return n
}

func generatedProvider(p int) string {
	s := strings.ToUpper(nameFirst[p%len(nameFirst)][:1]) + nameFirst[p%len(nameFirst)][1:] + nameSecond[(p/len(nameFirst))%len(nameSecond)]
	return s + " Care Ltd " + strconv.Itoa(p)
}
