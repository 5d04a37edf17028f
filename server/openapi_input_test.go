package server

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/quality"
)

// requestBodies pairs every API operation that reads a JSON body with the Go
// type decodeJSON fills from it. TestOpenAPIRequestBodies checks each pair
// agrees both ways; an operation documented with a JSON body but missing
// here (or here but not documented) fails it.
var requestBodies = map[string]any{
	"POST /api/v1/providers":                       providerInput{},
	"PUT /api/v1/providers/{id}":                   providerInput{},
	"POST /api/v1/locations":                       locationInput{},
	"PUT /api/v1/locations/{id}":                   locationInput{},
	"PUT /api/v1/locations/{id}/vacancies":         vacancyInput{},
	"POST /api/v1/cost-models":                     costModelInput{},
	"POST /api/v1/cost-models/preview":             costModelInput{},
	"PUT /api/v1/cost-models/{id}":                 costModelInput{},
	"POST /api/v1/price-rounds":                    roundInput{},
	"POST /api/v1/price-rounds/{id}/submissions":   pricesInput{},
	"POST /api/v1/price-submissions/{id}/decision": decisionInput{},
	"POST /api/v1/uplifts":                         upliftInput{},
	"POST /api/v1/uplifts/preview":                 upliftInput{},
	"POST /api/v1/agreements":                      agreementInput{},
	"PUT /api/v1/agreements/{id}":                  agreementInput{},
	"POST /api/v1/agreements/{id}/lots":            lotInput{},
	"PUT /api/v1/lots/{id}":                        lotInput{},
	"POST /api/v1/windows":                         windowInput{},
	"POST /api/v1/windows/{id}/evaluators":         evaluatorInput{},
	"POST /api/v1/windows/{id}/declaration":        declarationInput{},
	"POST /api/v1/windows/{id}/awards":             awardLotInput{},
	"POST /api/v1/applications":                    applicationInput{},
	"PUT /api/v1/applications/{id}":                applicationInput{},
	"POST /api/v1/applications/{id}/resubmissions": resubmissionInput{},
	"POST /api/v1/scores":                          scoreInput{},
	"POST /api/v1/moderations":                     moderationInput{},
	"POST /api/v1/contracts":                       contractInput{},
	"PUT /api/v1/contracts/{id}":                   contractInput{},
	"POST /api/v1/requirements":                    requirementInput{},
	"POST /api/v1/requirements/{id}/offers":        offerInput{},
	"POST /api/v1/requirements/{id}/competitions":  competitionInput{},
	"POST /api/v1/requirements/{id}/cancel":        reasonInput{},
	"POST /api/v1/offers/{id}/decline":             reasonInput{},
	"POST /api/v1/competitions/{id}/award":         awardInput{},
	"POST /api/v1/bids":                            bidInput{},
	"POST /api/v1/placements/{id}/price-changes":   priceChangeInput{},
	"PUT /api/v1/placements/{id}/top-up":           topUpInput{},
	"POST /api/v1/placements/{id}/end":             endInput{},
	"POST /api/v1/placements/{id}/hand-back":       handBackInput{},
	"POST /api/v1/serious-concerns":                concernInput{},
	"POST /api/v1/bank-holidays":                   holidayInput{},

	// The account endpoints.
	"PUT /api/v1/me/password": passwordInput{},
	"POST /api/v1/tokens":     tokenInput{},

	// Batch allocation.
	"POST /api/v1/allocations/preview":   previewInput{},
	"POST /api/v1/allocations/{id}/send": sendInput{},

	// The broker's daily work.
	"PUT /api/v1/requirements/{id}/urgency": urgencyInput{},
	"POST /api/v1/requirements/{id}/notes":  noteInput{},
	"POST /api/v1/offers/{id}/withdraw":     reasonInput{},
	"POST /api/v1/offers/{id}/extend":       extendInput{},
	"POST /api/v1/offers/{id}/resend":       offerInput{},

	// Finance.
	"PUT /api/v1/finance/settings":                  finance.Settings{},
	"POST /api/v1/budget-lines":                     budgetLineInput{},
	"PUT /api/v1/budget-lines/{id}":                 budgetLineInput{},
	"POST /api/v1/budgets":                          budgetsInput{},
	"PUT /api/v1/providers/{id}/supplier-reference": supplierRefInput{},
	"POST /api/v1/assumptions":                      assumptionsInput{},
	"POST /api/v1/scenarios":                        scenarioInput{},

	// Operations and personal data.
	"PUT /api/v1/retention-rules":  retentionInput{},
	"PUT /api/v1/me/notifications": notificationsInput{},

	// Quality.
	"POST /api/v1/monitoring-frameworks":           frameworkInput{},
	"POST /api/v1/monitoring-visits":               visitInput{},
	"PUT /api/v1/monitoring-visits/{id}":           visitInput{},
	"POST /api/v1/monitoring-visits/{id}/response": visitResponseInput{},
	"POST /api/v1/actions":                         actionInput{},
	"POST /api/v1/actions/{id}/evidence":           evidenceInput{},
	"POST /api/v1/actions/{id}/decision":           quality.Decision{},
	"PUT /api/v1/risk-weights":                     quality.Weights{},
	"POST /api/v1/quality-events":                  qualityEventInput{},
	"PUT /api/v1/lots/{id}/audit-minimum":          lotMinimumInput{},
}

// jsonReaders are the types that read JSON their own way (UnmarshalJSON),
// with the schema types that describe what they accept.
var jsonReaders = map[reflect.Type][]string{
	reflect.TypeOf(dateOnly{}):     {"string"},
	reflect.TypeOf(money.Money(0)): {"integer"},
	reflect.TypeOf(pricing.Dec(0)): {"string", "number"},
	reflect.TypeOf(time.Time{}):    {"string"},
}

// TestOpenAPIRequestBodies checks the API document against the Go input
// types, both ways: every documented JSON request body names the type the
// handler decodes, and each schema and its type agree on the fields (the
// same names, none missing on either side), on what is required (only
// fields that exist), on the JSON types, and on refusing unknown fields
// (additionalProperties false, as decodeJSON's DisallowUnknownFields does).
func TestOpenAPIRequestBodies(t *testing.T) {
	doc := parseDoc(t)
	documented := map[string]bool{}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			if jsonAt(op, "requestBody", "content", "application/json") == nil {
				continue
			}
			key := strings.ToUpper(method) + " " + p
			documented[key] = true
			in, ok := requestBodies[key]
			if !ok {
				t.Errorf("%s: documented with a JSON body, but requestBodies does not name its Go input type", key)
				continue
			}
			schema := jsonAt(op, "requestBody", "content", "application/json", "schema")
			for _, problem := range compareSchema(doc, schema, reflect.TypeOf(in), "body") {
				t.Errorf("%s: %s", key, problem)
			}
		}
	}
	for key := range requestBodies {
		if !documented[key] {
			t.Errorf("%s: requestBodies names an input type, but the document has no JSON body for it", key)
		}
	}
}

// schemaTypes returns the JSON types a schema allows, leaving out "null":
// its type, or its alternatives' (anyOf, oneOf), or its constant's.
func schemaTypes(doc, s map[string]any) []string {
	for _, alt := range []string{"anyOf", "oneOf"} {
		if alts, ok := s[alt].([]any); ok {
			var out []string
			for _, a := range alts {
				for _, t := range schemaTypes(doc, followRef(doc, a)) {
					if !slices.Contains(out, t) {
						out = append(out, t)
					}
				}
			}
			return out
		}
	}
	if c, ok := s["const"]; ok && s["type"] == nil {
		switch c.(type) {
		case string:
			return []string{"string"}
		case bool:
			return []string{"boolean"}
		case float64:
			return []string{"number", "integer"}
		}
	}
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if x != "null" {
				out = append(out, fmt.Sprint(x))
			}
		}
		return out
	}
	return nil
}

// goJSONKind is the JSON type encoding/json reads into t.
func goJSONKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.Kind().String()
}

// compareSchema lists where schema and the Go type t disagree; at names
// the place for the messages.
func compareSchema(doc map[string]any, schema any, t reflect.Type, at string) []string {
	s := followRef(doc, schema)
	if s == nil {
		return []string{at + ": no schema"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	types := schemaTypes(doc, s)
	if want, ok := jsonReaders[t]; ok {
		if len(types) == 0 || !slices.Equal(sorted(types), sorted(want)) && !(len(types) == 1 && slices.Contains(want, types[0])) {
			return []string{fmt.Sprintf("%s: the schema says %v; %s reads %v", at, types, t, want)}
		}
		return nil
	}
	kind := goJSONKind(t)
	if !slices.Contains(types, kind) {
		return []string{fmt.Sprintf("%s: the schema says %v; the Go type %s reads %s", at, types, t, kind)}
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return compareSchema(doc, s["items"], t.Elem(), at+"[]")
	case reflect.Map:
		return compareSchema(doc, s["additionalProperties"], t.Elem(), at+"{}")
	case reflect.Struct:
		return compareObject(doc, s, t, at)
	}
	return nil
}

// compareObject compares an object schema with a struct's JSON fields.
func compareObject(doc map[string]any, s map[string]any, t reflect.Type, at string) []string {
	var out []string
	fields := jsonFields(t)
	props, _ := s["properties"].(map[string]any)
	if s["additionalProperties"] != false {
		out = append(out, at+": the schema must set additionalProperties false: the API refuses unknown fields")
	}
	for name := range props {
		if _, ok := fields[name]; !ok {
			out = append(out, fmt.Sprintf("%s.%s: documented, but %s has no such field (the API would refuse it)", at, name, t))
		}
	}
	req, _ := s["required"].([]any)
	for _, r := range req {
		if _, ok := fields[fmt.Sprint(r)]; !ok {
			out = append(out, fmt.Sprintf("%s: required %q is not a field of %s", at, r, t))
		}
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p, ok := props[name]
		if !ok {
			out = append(out, fmt.Sprintf("%s.%s: a field of %s the document does not describe", at, name, t))
			continue
		}
		out = append(out, compareSchema(doc, p, fields[name], at+"."+name)...)
	}
	return out
}

// jsonFields returns the JSON names of a struct's fields and their types,
// as encoding/json sees them (embedded structs' fields included).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if _, own := jsonReaders[et]; !own {
					for k, v := range jsonFields(et) {
						out[k] = v
					}
					continue
				}
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}
