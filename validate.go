package caremarket

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// CheckText records in fields what is wrong with one free-text value: empty
// when required, not readable text, or longer than max characters. Limits
// on text keep one request from filling the database; the messages follow
// the GOV.UK error-message patterns ("Enter the …", "… must be N characters
// or fewer").
func CheckText(fields map[string]string, key, label, value string, required bool, max int) {
	capital := strings.ToUpper(label[:1]) + label[1:]
	switch {
	case required && strings.TrimSpace(value) == "":
		fields[key] = "Enter the " + label
	case !utf8.ValidString(value):
		fields[key] = capital + " contains characters we cannot read"
	case utf8.RuneCountInString(value) > max:
		fields[key] = capital + " must be " + strconv.Itoa(max) + " characters or fewer"
	}
}
