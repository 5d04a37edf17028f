package server

import (
	"html/template"
	"regexp"
	"strings"
	"testing"
)

// The tableHead part writes the GOV.UK table head a page would otherwise
// write out by hand: plain, numeric and visually hidden headings.
func TestTableHead(t *testing.T) {
	tm := template.Must(template.New("t").Funcs(funcs).ParseFS(templateFS, "templates/components.html"))
	tm = template.Must(tm.New("page").Parse(`{{template "tableHead" (columns "Provider" (numeric "Beds") (hidden "Action"))}}`))
	var b strings.Builder
	if err := tm.ExecuteTemplate(&b, "page", nil); err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`>\s+`).ReplaceAllString(strings.TrimSpace(b.String()), ">")
	want := `<thead class="govuk-table__head"><tr class="govuk-table__row">` +
		`<th scope="col" class="govuk-table__header">Provider</th>` +
		`<th scope="col" class="govuk-table__header govuk-table__header--numeric">Beds</th>` +
		`<th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">Action</span></th>` +
		`</tr></thead>`
	if got != want {
		t.Errorf("tableHead wrote\n%s\nwant\n%s", got, want)
	}
	if _, err := columns("Name", 3); err == nil {
		t.Error("columns took a number as a heading")
	}
}
