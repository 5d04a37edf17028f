package market

// ServiceType is a kind of care the council buys (../shared/DOMAIN.md).
type ServiceType string

const (
	Residential      ServiceType = "residential"
	ResidentialHigh  ServiceType = "residential_high" // dementia and complex needs
	Nursing          ServiceType = "nursing"
	NursingHigh      ServiceType = "nursing_high"
	ResidentialLD    ServiceType = "residential_ld" // learning disability
	ResidentialPD    ServiceType = "residential_pd" // physical disability
	ResidentialMH    ServiceType = "residential_mh" // mental health
	Homecare         ServiceType = "homecare"       // domiciliary care
	SIS              ServiceType = "sis"            // Supporting Independence Service
	SupportedLiving  ServiceType = "supported_living"
	ExtraCare        ServiceType = "extra_care" // background hours
	Prisons          ServiceType = "prisons"    // care and support in prisons
	DisabledChildren ServiceType = "disabled_children"
)

// ServiceTypes lists every service type in the order the UI shows them.
var ServiceTypes = []ServiceType{
	Residential, ResidentialHigh, Nursing, NursingHigh,
	ResidentialLD, ResidentialPD, ResidentialMH,
	Homecare, SIS, SupportedLiving, ExtraCare, Prisons, DisabledChildren,
}

var serviceLabels = map[ServiceType]string{
	Residential:      "Residential",
	ResidentialHigh:  "Residential High (dementia/complex)",
	Nursing:          "Nursing",
	NursingHigh:      "Nursing High",
	ResidentialLD:    "Residential (learning disability)",
	ResidentialPD:    "Residential (physical disability)",
	ResidentialMH:    "Residential (mental health)",
	Homecare:         "Homecare",
	SIS:              "Supporting Independence Service",
	SupportedLiving:  "Supported Living",
	ExtraCare:        "Extra Care background hours",
	Prisons:          "Care and Support in Prisons",
	DisabledChildren: "Community support for disabled children",
}

// Valid reports whether s is a known service type.
func (s ServiceType) Valid() bool { _, ok := serviceLabels[s]; return ok }

// Label is the name the UI shows.
func (s ServiceType) Label() string {
	if l, ok := serviceLabels[s]; ok {
		return l
	}
	return string(s)
}

// IsBedBased reports whether the service is bought by the bed (a care home)
// rather than by the hour.
func (s ServiceType) IsBedBased() bool {
	switch s {
	case Residential, ResidentialHigh, Nursing, NursingHigh, ResidentialLD, ResidentialPD, ResidentialMH:
		return true
	}
	return false
}

// Rating is a location's current overall CQC rating.
type Rating string

const (
	Outstanding         Rating = "outstanding"
	Good                Rating = "good"
	RequiresImprovement Rating = "requires_improvement"
	Inadequate          Rating = "inadequate"
	NotRated            Rating = "not_rated"
)

// Ratings lists every rating, best first.
var Ratings = []Rating{Outstanding, Good, RequiresImprovement, Inadequate, NotRated}

var ratingLabels = map[Rating]string{
	Outstanding:         "Outstanding",
	Good:                "Good",
	RequiresImprovement: "Requires improvement",
	Inadequate:          "Inadequate",
	NotRated:            "Not rated",
}

// Valid reports whether r is a known rating.
func (r Rating) Valid() bool { _, ok := ratingLabels[r]; return ok }

// Label is the rating as CQC writes it.
func (r Rating) Label() string {
	if l, ok := ratingLabels[r]; ok {
		return l
	}
	return string(r)
}

// TakesNewPlacements reports whether the rating lets a location take new
// placements: an Inadequate location takes none while the rating holds.
func (r Rating) TakesNewPlacements() bool { return r != Inadequate }
