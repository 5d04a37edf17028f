package storage_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/server"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// writes are the methods of server.Store that change something (ViewPerson
// and SubjectAccessExport log each look at a person's identity, so they
// write too); the tenant-scope test leaves them out. Every other method is
// called as a read, or is named below with the reason it is not: a new
// method that is none of these fails the test, so a read cannot go
// unchecked because its name sounds like a change.
var writes = []string{
	"AcceptOffer", "AcknowledgeAlert", "AddAction", "AddHoliday", "AddLot", "AddNote",
	"AdoptCostModel", "ApplyUplift", "ApplyVacancies", "AssignEvaluator", "AwardBid", "AwardLot",
	"CancelRequirement", "ChangeOwnPassword", "ChangePlacementPrice", "ClearSignInFailures",
	"ClosePriceRound", "CompleteMFA", "CreateAPIToken", "CreateAgreement", "CreateContract",
	"CreateCostModel", "CreateFramework", "CreateLocation", "CreatePendingSession", "CreateProvider",
	"CreateRequirement", "CreateSSOSession", "CreateSession", "CreateToken", "CreateUser",
	"CreateVisit", "CreateWindow", "DecideAction", "DecideSubmission", "DeclareInterests",
	"DeclineOffer", "DeleteSession", "DisableUser", "EditAllocation", "EnableTOTP", "EndConcern",
	"EndPlacement", "ExpireOffers", "ExtendOffer", "HandBackPlacement", "ImportAPIRecords",
	"ImportActuals", "ImportDirectory", "MakeOffer", "Moderate", "MoveToContract", "OpenPriceRound",
	"PublishAwards", "PublishVisit", "PurgeIdentities", "RaiseConcern", "RecordEvent",
	"RecordSignInFailure", "RemoveHoliday", "ResendOffer", "ResetMFA", "RespondToVisit",
	"ResubmitAnswer", "RevokeToken", "SSOSignIn", "SaveApplication", "SaveAssumptions",
	"SaveBudgetLine", "SaveScenario", "SaveScore", "SendAllocation", "SetBudgets", "SetCouncilAuth",
	"SetFinanceSettings", "SetLotMinimum", "SetNotificationChoices", "SetPassword",
	"SetRetentionRules", "SetRiskWeights", "SetSupplierReference", "SetTopUp", "SetUrgency",
	"SetVacancy", "StartCompetition", "StartTOTP", "SubjectAccessExport", "SubmitApplication",
	"SubmitBid", "SubmitEvidence", "SubmitPrices", "TakeExtension", "UpdateAgreement",
	"UpdateContract", "UpdateCostModel", "UpdateLocation", "UpdateLot", "UpdateProvider",
	"UpdateVisit", "UploadDelivered", "ViewPerson", "WithdrawOffer",
}

// Reads the test cannot call with made-up arguments: each with the reason.
var notCallable = map[string]string{
	"AreaLookup":    "takes a function that names each postcode's district",
	"PreviewUplift": "takes the uplift to preview, which the test cannot make up",
}

// Reads another council's data rightly changes: each with the reason.
var notCouncilScoped = map[string]string{
	"CouncilBySlug":  "signing in finds the council before there is an actor",
	"UserByEmail":    "signing in finds the account by its unique address before there is an actor",
	"UserBySession":  "a session is found by its secret before there is an actor",
	"UserByToken":    "an API token is found by its secret before there is an actor",
	"VerifyAudit":    "the audit hash chain spans every council; it returns a count and the first broken link, for the command line",
	"SignInFailures": "the sign-in throttle counts failures by a key made before there is an actor",
}

// TestTenantScope calls every read method of server.Store as each role of
// one council (and as a provider user of it whose provider id is one of
// the other council's providers), first on a database holding only that
// council, then after the demo council has been loaded beside it: nothing
// any read returns may change. A query that forgets "council_id = $n", or
// scopes a provider user by provider_id alone, fails here. A new read method
// is covered the day it joins the Store interface.
func TestTenantScope(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		bg := context.Background()
		c := &market.Council{Slug: "surrey", Name: "Surrey County Council"}
		if err := db.CreateCouncil(bg, c); err != nil {
			t.Fatal(err)
		}
		other := caremarket.NewContext(bg, caremarket.SystemActor(c.ID, c.Slug))
		const kentProvider = 1 // the demo's first provider, checked below
		var actors []context.Context
		for _, r := range caremarket.Roles {
			p := int64(0)
			if r == caremarket.RoleProvider {
				p = kentProvider
			}
			actors = append(actors, storagetest.As(other, r, p))
		}
		// Every id the demo uses, as far as a read could take an id, and
		// the strings a read might find it by.
		ids := make([]int64, 60)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		strs := []string{"", demo.CouncilSlug, "CSIH-2020", "OPRN-2026", "AAHC-2027"}
		before := readAll(db, actors, ids, strs)
		res, err := demo.Load(bg, db, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		kent := caremarket.NewContext(bg, caremarket.SystemActor(res.Council.ID, res.Council.Slug))
		if p, err := db.Provider(kent, kentProvider); err != nil {
			t.Fatalf("provider %d is not the demo council's: %v", kentProvider, err)
		} else if a, err := db.AgreementByReference(kent, strs[2]); err != nil || a == nil {
			t.Fatalf("agreement %s is not the demo council's: %v", strs[2], err)
		} else {
			t.Logf("the other council's provider user claims %s's id", p.Name)
		}
		after := readAll(db, actors, ids, strs)
		if len(before) < 40 {
			t.Errorf("only %d read methods checked: is the writes list swallowing reads?", len(before))
		}
		for name, b := range before {
			if after[name] != b {
				t.Errorf("%s sees the other council's data:\nbefore %.300s\nafter  %.300s", name, b, after[name])
			}
		}
	})
}

// TestTenantScopeNamesEveryMethod holds the lists above to server.Store:
// every method is a write, a read TestTenantScope can call, or named with
// the reason it is neither; and every name listed is a method.
func TestTenantScopeNamesEveryMethod(t *testing.T) {
	st := reflect.TypeOf((*server.Store)(nil)).Elem()
	listed := map[string]bool{}
	for _, name := range writes {
		listed[name] = true
	}
	for name := range notCouncilScoped {
		listed[name] = true
	}
	for name := range notCallable {
		listed[name] = true
	}
	for i := range st.NumMethod() {
		m := st.Method(i)
		if listed[m.Name] {
			delete(listed, m.Name)
			continue
		}
		if _, ok := argSets(m.Type, []int64{1}, []string{""}); !ok {
			t.Errorf("%s %v cannot be called as a read: list it in writes if it changes something, or in notCallable with the reason", m.Name, m.Type)
		}
	}
	for name := range listed {
		t.Errorf("%s is listed but is not a method of server.Store", name)
	}
}

// readAll calls every read method of server.Store as each actor with every
// argument list argSets gives, and returns what each returned, by method.
func readAll(db *storage.DB, actors []context.Context, ids []int64, strs []string) map[string]string {
	out := map[string]string{}
	var store server.Store = db
	sv := reflect.ValueOf(store)
	st := reflect.TypeOf((*server.Store)(nil)).Elem()
	for i := range st.NumMethod() {
		m := st.Method(i)
		if notCouncilScoped[m.Name] != "" || notCallable[m.Name] != "" || slices.Contains(writes, m.Name) {
			continue
		}
		calls, ok := argSets(m.Type, ids, strs)
		if !ok {
			continue // TestTenantScopeNamesEveryMethod fails
		}
		var b strings.Builder
		for _, ctx := range actors {
			for _, args := range calls {
				in := append([]reflect.Value{reflect.ValueOf(ctx)}, args...)
				fmt.Fprintf(&b, "%s %v: ", caremarket.ActorFrom(ctx).Role, show(args))
				for _, o := range sv.MethodByName(m.Name).Call(in) {
					describe(&b, o)
				}
				b.WriteByte('\n')
			}
		}
		out[m.Name] = b.String()
	}
	return out
}

var (
	ctxType         = reflect.TypeOf((*context.Context)(nil)).Elem()
	serviceTypeType = reflect.TypeOf(market.ServiceType(""))
	timeType        = reflect.TypeOf(time.Time{})
)

// readPeriod is the period a read over time is asked about: fixed, so the
// reads before and after the demo is loaded ask the same.
var readPeriod = []time.Time{time.Now().AddDate(-3, 0, 0), time.Now().AddDate(1, 0, 0)}

// argSets returns the argument lists to call a read with (after its
// context): every candidate id for an id, every candidate string, the zero
// filter (everything the caller may see), readPeriod for times. ok is false
// for a signature the test cannot fill (a function, or a pointer to fill in).
func argSets(mt reflect.Type, ids []int64, strs []string) ([][]reflect.Value, bool) {
	if mt.NumIn() == 0 || mt.In(0) != ctxType {
		return nil, false
	}
	n := 1
	for i := 1; i < mt.NumIn(); i++ {
		switch p := mt.In(i); {
		case p.Kind() == reflect.Int64:
			n = max(n, len(ids))
		case p == serviceTypeType:
			n = max(n, len(market.ServiceTypes))
		case p.Kind() == reflect.String:
			n = max(n, len(strs))
		case p.Kind() == reflect.Func, p.Kind() == reflect.Pointer:
			return nil, false
		}
	}
	out := make([][]reflect.Value, n)
	for k := range n {
		times := 0
		for i := 1; i < mt.NumIn(); i++ {
			p := mt.In(i)
			v := reflect.New(p).Elem()
			switch {
			case p == timeType: // a period: from three years ago to a year ahead
				v = reflect.ValueOf(readPeriod[times%len(readPeriod)])
				times++
			case p.Kind() == reflect.Int64:
				v.SetInt(ids[k%len(ids)])
			case p == serviceTypeType:
				v.SetString(string(market.ServiceTypes[k%len(market.ServiceTypes)]))
			case p.Kind() == reflect.String:
				v.SetString(strs[k%len(strs)])
			case p.Kind() == reflect.Slice && p.Elem().Kind() == reflect.Int64:
				v = reflect.ValueOf(ids)
			}
			out[k] = append(out[k], v)
		}
	}
	return out, true
}

// describe writes v, leaving out times (a report is dated now) and, for an
// error, all but its code and message.
func describe(b *strings.Builder, v reflect.Value) {
	if err, ok := errorOf(v); ok {
		fmt.Fprintf(b, "error %s %q; ", caremarket.ErrorCode(err), caremarket.ErrorMessage(err))
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil ")
			return
		}
		describe(b, v.Elem())
	case reflect.Slice, reflect.Array:
		fmt.Fprintf(b, "[%d: ", v.Len())
		for i := range v.Len() {
			describe(b, v.Index(i))
		}
		b.WriteString("] ")
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(fmt.Sprint(x), fmt.Sprint(y)) })
		fmt.Fprintf(b, "map[%d: ", v.Len())
		for _, k := range keys {
			fmt.Fprintf(b, "%v=", k)
			describe(b, v.MapIndex(k))
		}
		b.WriteString("] ")
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		b.WriteString("{")
		for i := range v.NumField() {
			describe(b, v.Field(i))
		}
		b.WriteString("} ")
	case reflect.Func:
		b.WriteString("func ")
	default:
		fmt.Fprintf(b, "%v ", v)
	}
}

func show(args []reflect.Value) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Interface()
		if ids, ok := out[i].([]int64); ok && len(ids) > 3 {
			out[i] = "ids"
		}
	}
	return out
}

func errorOf(v reflect.Value) (error, bool) {
	if !v.IsValid() || !v.CanInterface() {
		return nil, false
	}
	err, ok := v.Interface().(error)
	return err, ok && err != nil
}
