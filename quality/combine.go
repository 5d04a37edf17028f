package quality

import (
	"fmt"
	"strings"
)

// The combining rule, as the report page shows it. Points are Excellent 4,
// Good 3, Requires improvement 2, Poor 1; questions answered Not applicable
// do not count.
var RuleText = []string{
	"Each answer scores Excellent 4, Good 3, Requires improvement 2, Poor 1; Not applicable does not count.",
	"A domain's rating is from the average of its answers: 3.50 or more Excellent, 2.50 or more Good, 1.50 or more Requires improvement, below that Poor.",
	"A domain with any answer Poor is rated no better than Requires improvement.",
	"The overall rating is from the average of the domain ratings' points, on the same bands.",
	"If any domain is Poor the overall rating is no better than Requires improvement; if half the domains or more are Poor it is Poor.",
}

// DomainResult is a domain's rating and how it was reached.
type DomainResult struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Rating Rating `json:"rating"`
	// AverageX100 is the average score in hundredths (275 is 2.75).
	AverageX100 int    `json:"average_x100"`
	Answered    int    `json:"answered"`
	Working     string `json:"working"`
}

// band turns an average in hundredths into a rating.
func band(avgX100 int) Rating {
	switch {
	case avgX100 >= 350:
		return Excellent
	case avgX100 >= 250:
		return Good
	case avgX100 >= 150:
		return RequiresImprovement
	}
	return Poor
}

// average is sum/n in hundredths, rounded half up, in integers.
func average(sum, n int) int { return (sum*200 + n) / (2 * n) }

func hundredths(x int) string { return fmt.Sprintf("%d.%02d", x/100, x%100) }

// Combine works out each domain's rating and the overall rating from the
// answers, with the working in words. A domain with no counted answer has
// no rating and is left out of the overall; with none at all the overall
// is empty.
func Combine(f *Framework, answers []Answer) ([]DomainResult, Rating, []string) {
	byKey := map[string]Rating{}
	for _, a := range answers {
		byKey[a.QuestionKey] = a.Rating
	}
	var out []DomainResult
	var working []string
	sum, n, poor := 0, 0, 0
	for _, d := range f.Domains {
		r := DomainResult{Key: d.Key, Name: d.Name}
		s, anyPoor := 0, false
		var parts []string
		for _, q := range d.Questions {
			pts := byKey[q.Key].Score()
			if pts == 0 {
				continue
			}
			s += pts
			r.Answered++
			anyPoor = anyPoor || pts == 1
			parts = append(parts, fmt.Sprint(pts))
		}
		if r.Answered == 0 {
			r.Working = d.Name + ": no question counted, so no rating"
			out = append(out, r)
			working = append(working, r.Working)
			continue
		}
		r.AverageX100 = average(s, r.Answered)
		r.Rating = band(r.AverageX100)
		r.Working = fmt.Sprintf("%s: (%s) / %d = %s, %s", d.Name, strings.Join(parts, " + "), r.Answered, hundredths(r.AverageX100), r.Rating.Label())
		if anyPoor && r.Rating.Score() > RequiresImprovement.Score() {
			r.Rating = RequiresImprovement
			r.Working += "; an answer is Poor, so Requires improvement"
		}
		out = append(out, r)
		working = append(working, r.Working)
		sum += r.Rating.Score()
		n++
		if r.Rating == Poor {
			poor++
		}
	}
	if n == 0 {
		return out, "", working
	}
	avg := average(sum, n)
	overall := band(avg)
	line := fmt.Sprintf("Overall: %d domain points / %d domains = %s, %s", sum, n, hundredths(avg), overall.Label())
	switch {
	case poor*2 >= n && overall != Poor:
		overall = Poor
		line += fmt.Sprintf("; %d of %d domains are Poor, so Poor", poor, n)
	case poor > 0 && overall.Score() > RequiresImprovement.Score():
		overall = RequiresImprovement
		line += "; a domain is Poor, so Requires improvement"
	}
	return out, overall, append(working, line)
}
