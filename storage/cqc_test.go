package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// kentDistricts stands in for the outcode table the demo ships: which
// district each fixture postcode district is in. SE1 is London, not Kent.
var kentDistricts = map[string]string{
	"CT9": "Thanet", "CT11": "Thanet", "CT1": "Canterbury", "ME14": "Maidstone", "TN23": "Ashford",
	"CT16": "Dover", "DA1": "Dartford", "ME4": "Medway", "TN1": "Tunbridge Wells",
}

func districtFor(outcode string) (string, bool) { d, ok := kentDistricts[outcode]; return d, ok }

// kent makes the council with the fixture's districts and the area lookup.
func kent(t testing.TB, db *storage.DB, slug string) (context.Context, func(string) (int64, bool)) {
	t.Helper()
	ctx, _ := storagetest.Council(t, db, slug, "Thanet", "Canterbury", "Maidstone", "Ashford", "Dover", "Dartford", "Medway", "Tunbridge Wells")
	lookup, err := db.AreaLookup(ctx, districtFor)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, lookup
}

func importFile(t testing.TB, db *storage.DB, ctx context.Context, path string, opts storage.CQCImportOptions) *storage.CQCImportSummary {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := cqc.NewDirectoryReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := db.ImportDirectory(ctx, d.All(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

type counts struct{ rows, added, updated, unchanged, deregistered, rejected, other, notCare, providers, ratings, alerts int }

func countsOf(s *storage.CQCImportSummary) counts {
	return counts{s.Rows, s.Added, s.Updated, s.Unchanged, s.Deregistered, s.Rejected, s.OtherAuthority, s.NotSocialCare,
		s.ProvidersAdded, s.RatingChanges, s.Alerts}
}

func rejectedLines(s *storage.CQCImportSummary) []int {
	var lines []int
	for _, r := range s.Rejections {
		lines = append(lines, r.Line)
	}
	return lines
}

func count(t testing.TB, db *storage.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// locationByCQC finds a location, registered or not, by its CQC id through
// the public API.
func locationByCQC(t testing.TB, db *storage.DB, ctx context.Context, id string) *market.Location {
	t.Helper()
	locs, _, err := db.ListLocations(ctx, market.LocationFilter{Query: id, IncludeDeregistered: true})
	if err != nil || len(locs) != 1 {
		t.Fatalf("location %s: %d found, %v", id, len(locs), err)
	}
	return &locs[0]
}

func TestImportDirectory(t *testing.T) {
	// Batches of two make several transactions, written two at a time on
	// PostgreSQL, with providers that later batches refer to.
	for _, batch := range []int{0, 2} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) { testImportDirectory(t, batch) })
	}
}

func testImportDirectory(t *testing.T, batch int) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, lookup := kent(t, db, "kent")
		var progress []int
		opts := storage.CQCImportOptions{AreaFor: lookup, Source: "v1", BatchSize: batch, Progress: func(n int) { progress = append(progress, n) }}

		// First import: lines 13 (London postcode), 14 (not a postcode), 18
		// (short row), 19 (same location twice), 20 (beds "forty") and 21
		// (rating "Excellent") are rejected; a GP and a Surrey home skipped.
		sum := importFile(t, db, ctx, "../market/cqc/testdata/directory_v1.csv", opts)
		want := counts{rows: 15, added: 7, rejected: 6, other: 1, notCare: 1, providers: 4}
		if got := countsOf(sum); got != want {
			t.Errorf("first import %+v, want %+v", got, want)
		}
		if lines := rejectedLines(sum); !slices.Equal(lines, []int{13, 14, 18, 19, 20, 21}) {
			t.Errorf("rejected lines %v", lines)
		}
		for _, r := range sum.Rejections {
			if r.Line == 13 && !strings.Contains(r.Reason, "district SE1 is not in any of the council's areas") ||
				r.Line == 19 && !strings.Contains(r.Reason, "also on line 6") {
				t.Errorf("line %d: reason %q", r.Line, r.Reason)
			}
		}
		if len(progress) == 0 || progress[len(progress)-1] != 15 {
			t.Errorf("progress %v", progress)
		}
		seaview := locationByCQC(t, db, ctx, "1-1000000001")
		if seaview.AreaName != "Thanet" || seaview.ProviderName != "Seaview Care Ltd" || seaview.RegisteredBeds != 40 ||
			seaview.Rating != market.Good || !slices.Equal(seaview.ServiceTypes, []market.ServiceType{market.Nursing, market.NursingHigh}) {
			t.Errorf("Seaview imported wrong: %+v", seaview)
		}
		quoted := locationByCQC(t, db, ctx, "1-1000000011")
		if quoted.Name != `St Mary's "The Lodge"` || quoted.AreaName != "Dartford" || quoted.Rating != market.NotRated {
			t.Errorf("quoted name imported wrong: %+v", quoted)
		}
		willows := locationByCQC(t, db, ctx, "1-1000000004")
		if blocked, why, err := db.PlacementBlocked(ctx, willows.ID); err != nil || !blocked || !strings.Contains(why, "dormant") {
			t.Errorf("dormant location: blocked %v %q %v", blocked, why, err)
		}
		cliff := locationByCQC(t, db, ctx, "1-1000000010")
		if blocked, _, _ := db.PlacementBlocked(ctx, cliff.ID); !blocked {
			t.Error("a location first seen Inadequate takes placements")
		}
		if blocked, why, _ := db.PlacementBlocked(ctx, seaview.ID); blocked {
			t.Errorf("Seaview blocked: %s", why)
		}
		batches := 1
		if batch > 0 {
			batches = (7 + batch - 1) / batch
		}
		if audits := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'cqc.import'`); audits != batches {
			t.Errorf("%d audit records for %d batches", audits, batches)
		}

		// The same file again changes nothing and leaves no audit noise.
		auditAll := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		sum = importFile(t, db, ctx, "../market/cqc/testdata/directory_v1.csv", opts)
		want = counts{rows: 15, unchanged: 7, rejected: 6, other: 1, notCare: 1}
		if got := countsOf(sum); got != want {
			t.Errorf("re-import %+v, want %+v", got, want)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log`); n != auditAll {
			t.Errorf("re-import wrote %d audit records", n-auditAll)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM location_ratings`); n != 0 {
			t.Errorf("rating history has %d changes after re-import, want none", n)
		}
		if hist, err := db.RatingHistory(ctx, seaview.ID); err != nil || len(hist) != 1 || hist[0].Rating != market.Good ||
			!hist[0].RatingDate.Equal(time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)) || hist[0].Source != "first seen" {
			t.Errorf("history before any change: %+v %v", hist, err)
		}

		// Months later: Seaview drops to Inadequate, Harbour View is renamed
		// and improves, The Willows has gone, Meadowbank is new.
		sum = importFile(t, db, ctx, "../market/cqc/testdata/directory_v2.csv", storage.CQCImportOptions{AreaFor: lookup, Source: "v2", BatchSize: batch})
		want = counts{rows: 13, added: 1, updated: 2, unchanged: 4, deregistered: 1, rejected: 4, other: 1, notCare: 1, providers: 1, ratings: 2, alerts: 2}
		if got := countsOf(sum); got != want {
			t.Errorf("newer file %+v, want %+v", got, want)
		}
		hist, err := db.RatingHistory(ctx, seaview.ID)
		if err != nil || len(hist) != 2 || hist[0].Rating != market.Inadequate || hist[0].Previous != market.Good ||
			!hist[0].RatingDate.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) || hist[0].Source != "cqc-directory v2" ||
			hist[1].Rating != market.Good || !hist[1].RatingDate.Equal(time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)) || hist[1].Source != "first seen" {
			t.Errorf("Seaview history %+v %v", hist, err)
		}
		// Seaview and Harbour View changed: each change, and the rating
		// each had when first seen.
		if n := count(t, db, `SELECT COUNT(*) FROM location_ratings`); n != 4 {
			t.Errorf("rating history has %d rows, want 4", n)
		}
		if blocked, why, _ := db.PlacementBlocked(ctx, seaview.ID); !blocked || !strings.Contains(why, "Inadequate on 1 April 2025") {
			t.Errorf("Seaview after drop: blocked %v %q", blocked, why)
		}
		reg, err := db.LocationRegistration(ctx, willows.ID)
		if err != nil || reg.Status != cqc.Deregistered || reg.DeregisteredAt == nil {
			t.Errorf("The Willows: %+v %v", reg, err)
		}
		if _, err := db.Location(ctx, willows.ID); err != nil {
			t.Errorf("a deregistered location must be kept: %v", err)
		}
		// Searches leave it out unless asked for it; its page still shows.
		if _, n, _ := db.ListLocations(ctx, market.LocationFilter{Query: "willows"}); n != 0 {
			t.Errorf("a search finds %d deregistered locations", n)
		}
		if _, n, _ := db.ListLocations(ctx, market.LocationFilter{Query: "willows", IncludeDeregistered: true}); n != 1 {
			t.Errorf("a search including deregistered finds %d", n)
		}
		if st, err := db.LocationStatuses(ctx, []int64{willows.ID, seaview.ID, 999999}); err != nil || len(st) != 2 ||
			st[willows.ID] != cqc.Deregistered || st[seaview.ID] != cqc.Registered {
			t.Errorf("statuses %v %v", st, err)
		}
		if st, _ := db.LocationStatuses(storagetest.As(ctx, caremarket.RoleProvider, seaview.ProviderID), []int64{willows.ID, seaview.ID}); len(st) != 1 {
			t.Errorf("a provider user sees the status of another's location: %v", st)
		}
		harbour := locationByCQC(t, db, ctx, "1-1000000002")
		if harbour.Name != "Harbour View Care Home" || harbour.Rating != market.Good {
			t.Errorf("Harbour View not updated: %+v", harbour)
		}
		alerts, err := db.ListAlerts(ctx, true)
		if err != nil || len(alerts) != 2 {
			t.Fatalf("alerts %+v %v", alerts, err)
		}
		kinds := map[cqc.AlertKind]cqc.Alert{}
		for _, a := range alerts {
			kinds[a.Kind] = a
		}
		if a := kinds[cqc.AlertInadequate]; a.LocationID != seaview.ID || !strings.Contains(a.Message, "rated Inadequate on 1 April 2025; it was Good") {
			t.Errorf("inadequate alert %+v", a)
		}
		if a := kinds[cqc.AlertDeregistered]; a.LocationID != willows.ID || a.CQCLocationID != "1-1000000004" {
			t.Errorf("deregistered alert %+v", a)
		}
		_, err = db.ListAlerts(storagetest.As(ctx, caremarket.RoleProvider, seaview.ProviderID), true)
		mustCode(t, err, caremarket.EFORBIDDEN)
		if err := db.AcknowledgeAlert(storagetest.As(ctx, caremarket.RoleCommissioner, 0), kinds[cqc.AlertInadequate].ID); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.AcknowledgeAlert(ctx, kinds[cqc.AlertInadequate].ID), caremarket.ENOTFOUND)
		if a, err := db.Alert(ctx, kinds[cqc.AlertInadequate].ID); err != nil || a.AcknowledgedAt == nil || !strings.HasPrefix(a.AcknowledgedBy, "commissioner") {
			t.Errorf("acknowledged alert %+v %v", a, err)
		}
		_, err = db.Alert(ctx, 999999)
		mustCode(t, err, caremarket.ENOTFOUND)
		if open, _ := db.ListAlerts(ctx, true); len(open) != 1 {
			t.Errorf("%d open alerts after acknowledging one", len(open))
		}

		// An older file again: the newer rating stands, The Willows is back.
		importFile(t, db, ctx, "../market/cqc/testdata/directory_v1.csv", opts)
		if l := locationByCQC(t, db, ctx, "1-1000000001"); l.Rating != market.Inadequate {
			t.Errorf("an older file undid a newer rating: %s", l.Rating)
		}
		if reg, _ := db.LocationRegistration(ctx, willows.ID); reg.Status != cqc.Registered || reg.DeregisteredAt != nil {
			t.Errorf("a listed location stays deregistered: %+v", reg)
		}
		if checked, broken, err := db.VerifyAudit(context.Background()); err != nil || broken != nil {
			t.Errorf("audit chain after imports: %d %+v %v", checked, broken, err)
		}
	})
}

func TestImportDirectoryScope(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, lookup := kent(t, db, "kent")
		tests := []struct {
			name string
			ctx  context.Context
			opts storage.CQCImportOptions
			code string
		}{
			{"no district table", ctx, storage.CQCImportOptions{}, caremarket.EINVALID},
			{"a broker may not import", storagetest.As(ctx, caremarket.RoleBroker, 0), storage.CQCImportOptions{AreaFor: lookup}, caremarket.EFORBIDDEN},
			{"nobody signed in", context.Background(), storage.CQCImportOptions{AreaFor: lookup}, caremarket.EUNAUTHORIZED},
		}
		for _, tt := range tests {
			_, err := db.ImportDirectory(tt.ctx, func(func(*cqc.Location, error) bool) {}, tt.opts)
			if caremarket.ErrorCode(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}

		// --all takes every authority's rows; Surrey's postcode is in none
		// of Kent's districts, so that row is rejected rather than skipped.
		sum := importFile(t, db, ctx, "../market/cqc/testdata/directory_v1.csv", storage.CQCImportOptions{AreaFor: lookup, All: true})
		if sum.OtherAuthority != 0 || sum.Added != 7 || !slices.Contains(rejectedLines(sum), 12) {
			t.Errorf("--all: %+v", countsOf(sum))
		}

		// Another council importing the same file gets its own copies and
		// does not touch Kent's.
		surrey, areas := storagetest.Council(t, db, "surrey", "Woking")
		sum = importFile(t, db, surrey, "../market/cqc/testdata/directory_v1.csv", storage.CQCImportOptions{
			AreaFor: func(o string) (int64, bool) { return areas[0].ID, o == "GU21" }})
		if sum.Added != 1 || sum.OtherAuthority != 11 || sum.Rejected != 3 || sum.Deregistered != 0 {
			t.Errorf("Surrey import: %+v", countsOf(sum))
		}
		if _, total, _ := db.ListLocations(ctx, market.LocationFilter{}); total != 7 {
			t.Errorf("Kent has %d locations after Surrey's import", total)
		}

		// A progress bar may ask the reader how far it is while the import
		// reads ahead on another goroutine (go test -race checks it).
		var gen bytes.Buffer
		cqc.GenerateDirectory(&gen, cqc.GenerateOptions{Rows: 3000})
		size := int64(gen.Len())
		rd, _ := cqc.NewDirectoryReader(&gen)
		var offsets []int64
		sum, err := db.ImportDirectory(ctx, rd.All(), storage.CQCImportOptions{AreaFor: lookup, BatchSize: 500,
			Progress: func(int) { offsets = append(offsets, rd.Offset()) }})
		// (The generated ids 1-1000000001 to -011 are the fixture's: updated.)
		if err != nil || sum.Added+sum.Updated != 3000 || len(offsets) < 6 || !slices.IsSorted(offsets) || offsets[len(offsets)-1] != size {
			t.Errorf("progress: added %d, updated %d, offsets %v of %d, %v", sum.Added, sum.Updated, offsets, size, err)
		}

		// A file with none of the council's locations deregisters nothing.
		var empty bytes.Buffer
		cqc.GenerateDirectory(&empty, cqc.GenerateOptions{Rows: 3, LocalAuthority: "Devon"})
		d, _ := cqc.NewDirectoryReader(&empty)
		sum, err = db.ImportDirectory(ctx, d.All(), storage.CQCImportOptions{AreaFor: lookup})
		if err != nil || sum.Deregistered != 0 || sum.DeregistrationSkipped == "" {
			t.Errorf("wrong file: %+v %v", sum, err)
		}
	})
}

// readError is what a failing disk gives the import.
type readError struct{}

func (readError) Error() string { return "disk on fire" }

func TestImportStopsOnReadError(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, lookup := kent(t, db, "kent")
		f, _ := os.ReadFile("../market/cqc/testdata/directory_v1.csv")
		d, _ := cqc.NewDirectoryReader(bytes.NewReader(f))
		rows := func(yield func(*cqc.Location, error) bool) {
			n := 0
			for l, err := range d.All() {
				if n == 3 {
					yield(nil, readError{})
					return
				}
				n++
				if !yield(l, err) {
					return
				}
			}
		}
		sum, err := db.ImportDirectory(ctx, rows, storage.CQCImportOptions{AreaFor: lookup, BatchSize: 2})
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Fatalf("error %v", err)
		}
		// The rows read before the failure are saved, nothing is deregistered.
		if sum.Added != 3 || sum.Deregistered != 0 {
			t.Errorf("summary %+v", countsOf(sum))
		}
	})
}

func TestImportAPIRecords(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, lookup := kent(t, db, "kent")
		importFile(t, db, ctx, "../market/cqc/testdata/directory_v1.csv", storage.CQCImportOptions{AreaFor: lookup})
		recs, err := cqc.ReadAPI("../market/cqc/testdata/api")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := db.ImportAPIRecords(ctx, recs.All(), storage.CQCImportOptions{AreaFor: lookup, Source: "recorded"})
		if err != nil {
			t.Fatal(err)
		}
		// Seaview's record drops it to Inadequate (42 beds now); The Willows
		// is deregistered; Priory Homecare is new; five records are broken.
		want := counts{rows: 8, added: 1, updated: 2, rejected: 5, providers: 1, ratings: 1, alerts: 2}
		if got := countsOf(sum); got != want {
			t.Errorf("API import %+v, want %+v", got, want)
		}
		seaview := locationByCQC(t, db, ctx, "1-1000000001")
		if seaview.RegisteredBeds != 42 || seaview.Rating != market.Inadequate || seaview.ProviderName != "Seaview Care Ltd" {
			t.Errorf("Seaview after API record: %+v", seaview)
		}
		priory := locationByCQC(t, db, ctx, "1-1000000030")
		// Service types read back in name order.
		if priory.ProviderName != "Priory Homecare Ltd" || priory.AreaName != "Canterbury" ||
			!slices.Equal(priory.ServiceTypes, []market.ServiceType{market.DisabledChildren, market.Homecare}) {
			t.Errorf("Priory: %+v", priory)
		}
		willows := locationByCQC(t, db, ctx, "1-1000000004")
		reg, _ := db.LocationRegistration(ctx, willows.ID)
		if reg.Status != cqc.Deregistered || reg.DeregisteredAt == nil || reg.DeregisteredAt.Format("2006-01-02") != "2025-03-31" {
			t.Errorf("The Willows: %+v", reg)
		}
		// API records are not the whole register: the rest stay registered.
		harbour := locationByCQC(t, db, ctx, "1-1000000002")
		if reg, _ := db.LocationRegistration(ctx, harbour.ID); reg.Status != cqc.Registered {
			t.Errorf("a location absent from API records was deregistered")
		}
		// Again: nothing changes.
		sum, _ = db.ImportAPIRecords(ctx, recs.All(), storage.CQCImportOptions{AreaFor: lookup})
		if sum.Unchanged != 3 || sum.Added+sum.Updated != 0 {
			t.Errorf("API re-import %+v", countsOf(sum))
		}
	})
}

func TestApplyVacancies(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, lookup := kent(t, db, "kent")
		importFile(t, db, ctx, "../market/cqc/testdata/directory_v1.csv", storage.CQCImportOptions{AreaFor: lookup})
		seaview := locationByCQC(t, db, ctx, "1-1000000001")
		harbour := locationByCQC(t, db, ctx, "1-1000000002")
		asSeaview := storagetest.As(ctx, caremarket.RoleProvider, seaview.ProviderID)

		parse := func(s string) []market.VacancyRow {
			rows, errs := market.ParseVacancyCSV(strings.NewReader(s))
			if len(errs) > 0 {
				t.Fatalf("parse: %v", errs)
			}
			return rows
		}
		n, lineErrs, err := db.ApplyVacancies(asSeaview, parse("cqc_location_id,service_type,vacancies\n1-1000000001,nursing,2\n1-1000000001,Nursing High,1\n1-1000000002,residential,3\n"))
		if err != nil || n != 3 || len(lineErrs) != 0 {
			t.Fatalf("apply: %d %v %v", n, lineErrs, err)
		}
		vs, _ := db.Vacancies(asSeaview, seaview.ID)
		if len(vs) != 2 || vs[0].Vacancies != 2 || vs[0].UpdatedBy != "provider@test" {
			t.Errorf("Seaview vacancies %+v", vs)
		}

		// One bad line and nothing is saved; every bad line is named.
		tests := []struct {
			name string
			ctx  context.Context
			csv  string
			want []string
		}{
			{"another provider's location and a service not offered", asSeaview,
				"cqc_location_id,service_type,vacancies\n1-1000000001,nursing,0\n1-1000000003,homecare,5\n1-1000000002,nursing,1\n",
				[]string{"line 3: location 1-1000000003 is not one of yours", "line 4: location 1-1000000002 does not offer Nursing"}},
			{"an unknown location", ctx, "location_id,service_type,vacancies\n999999,nursing,1\n",
				[]string{"line 2: location 999999 is not one of yours"}},
			{"the same figure twice by both ids", ctx, fmt.Sprintf("location_id,cqc_location_id,service_type,vacancies\n%d,,nursing,1\n,1-1000000001,nursing,4\n", seaview.ID),
				[]string{"line 3: location 1-1000000001 and Nursing are also on line 2"}},
		}
		for _, tt := range tests {
			_, lineErrs, err := db.ApplyVacancies(tt.ctx, parse(tt.csv))
			mustCode(t, err, caremarket.EINVALID)
			var got []string
			for _, e := range lineErrs {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			}
		}
		vs, _ = db.Vacancies(asSeaview, seaview.ID)
		if vs[0].Vacancies != 2 {
			t.Errorf("a refused upload changed a vacancy: %+v", vs)
		}
		_, _, err = db.ApplyVacancies(storagetest.As(ctx, caremarket.RoleFinance, 0), parse("location_id,service_type,vacancies\n1,nursing,1\n"))
		mustCode(t, err, caremarket.EFORBIDDEN)
		_ = harbour
	})
}

// BenchmarkImportDirectory imports a generated 60,000-row directory in the
// real layout, reading and parsing the CSV included, and reports rows per
// second: "new" into an empty council, "unchanged" the same file again,
// "newer" the next edition (ratings changed, 1% gone, 1% new).
func BenchmarkImportDirectory(b *testing.B) {
	const rows = 60000
	var first, second bytes.Buffer
	outcodes := []string{"CT9", "CT1", "ME14", "TN23", "DA1", "CT16", "ME4", "TN1"}
	if err := cqc.GenerateDirectory(&first, cqc.GenerateOptions{Rows: rows, Outcodes: outcodes}); err != nil {
		b.Fatal(err)
	}
	cqc.GenerateDirectory(&second, cqc.GenerateOptions{Rows: rows, Outcodes: outcodes, Edition: 1})
	run := func(b *testing.B, db *storage.DB, ctx context.Context, lookup func(string) (int64, bool), file []byte) *storage.CQCImportSummary {
		d, err := cqc.NewDirectoryReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		// The councils are "Kent1 County Council" and so on; the file says Kent.
		sum, err := db.ImportDirectory(ctx, d.All(), storage.CQCImportOptions{AreaFor: lookup, LocalAuthority: "Kent"})
		if err != nil {
			b.Fatal(err)
		}
		if sum.Rejected != 0 {
			b.Fatalf("generated file had rejections: %v", sum.Rejections[0])
		}
		return sum
	}
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		b := tb.(*testing.B)
		n := 0
		fresh := func() (context.Context, func(string) (int64, bool)) {
			n++
			return kent(b, db, fmt.Sprintf("kent%d", n))
		}
		b.Run("new", func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				ctx, lookup := fresh()
				b.StartTimer()
				sum := run(b, db, ctx, lookup, first.Bytes())
				total += sum.Elapsed
				if sum.Added != rows {
					b.Fatalf("added %d", sum.Added)
				}
			}
			b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
		})
		b.Run("unchanged", func(b *testing.B) {
			b.StopTimer()
			ctx, lookup := fresh()
			run(b, db, ctx, lookup, first.Bytes())
			b.StartTimer()
			var total time.Duration
			for b.Loop() {
				sum := run(b, db, ctx, lookup, first.Bytes())
				total += sum.Elapsed
				if sum.Unchanged != rows {
					b.Fatalf("unchanged %d", sum.Unchanged)
				}
			}
			b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
		})
		b.Run("newer", func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				ctx, lookup := fresh()
				run(b, db, ctx, lookup, first.Bytes())
				b.StartTimer()
				sum := run(b, db, ctx, lookup, second.Bytes())
				total += sum.Elapsed
				if sum.Deregistered != rows/100 || sum.Added != rows/100 {
					b.Fatalf("newer: %+v", countsOf(sum))
				}
			}
			b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
		})
	})
}
