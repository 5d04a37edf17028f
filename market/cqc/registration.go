package cqc

import (
	"time"

	"github.com/caremarket/caremarket/market"
)

// Status is a location's registration with CQC as last imported. A location
// that leaves the register is marked, never deleted: placements, prices and
// ratings still refer to it.
type Status string

const (
	Registered   Status = "registered"
	Deregistered Status = "deregistered"
)

// Registration is what the CQC import keeps about a location beyond
// market.Location: whether it is still registered, dormant, and where it is.
type Registration struct {
	LocationID     int64         `json:"location_id"`
	CQCLocationID  string        `json:"cqc_location_id"`
	Status         Status        `json:"status"`
	DeregisteredAt *time.Time    `json:"deregistered_at,omitempty"`
	Dormant        bool          `json:"dormant"`
	LocalAuthority string        `json:"local_authority"`
	Latitude       *float64      `json:"latitude,omitempty"`
	Longitude      *float64      `json:"longitude,omitempty"`
	Rating         market.Rating `json:"rating"`
	RatingDate     *time.Time    `json:"rating_date,omitempty"`
}

// PlacementBlock says why the location may take no new placements, or "" when
// it may. DOMAIN.md: a provider rated Inadequate takes no new placements
// while that holds; a location no longer registered cannot lawfully provide
// the regulated activity; a dormant one has told CQC it is not providing it.
func (r *Registration) PlacementBlock() string {
	switch {
	case r.Status == Deregistered:
		s := "It is no longer registered with CQC"
		if r.DeregisteredAt != nil {
			s += " (since " + r.DeregisteredAt.Format("2 January 2006") + ")"
		}
		return s + "."
	case r.Rating == market.Inadequate:
		s := "CQC rated it Inadequate"
		if r.RatingDate != nil {
			s += " on " + r.RatingDate.Format("2 January 2006")
		}
		return s + "; it takes no new placements while that rating holds."
	case r.Dormant:
		return "CQC lists it as dormant: it is not providing care at present."
	}
	return ""
}

// RatingChange is one entry of a location's rating history: a rating CQC
// published for it, with the report's date, when caremarket learnt of it and
// from what. The oldest entry is the rating the location had when it was
// first seen (Source "first seen", no Previous).
type RatingChange struct {
	ID         int64         `json:"id"`
	LocationID int64         `json:"location_id"`
	Rating     market.Rating `json:"rating"`
	RatingDate *time.Time    `json:"rating_date,omitempty"`
	Previous   market.Rating `json:"previous,omitempty"`
	RecordedAt time.Time     `json:"recorded_at"`
	Source     string        `json:"source"` // e.g. "cqc-directory HSCA_Active_Locations.csv"
}

// AlertKind says what a market alert is about.
type AlertKind string

const (
	// AlertInadequate: a location's rating dropped to Inadequate, so it is
	// blocked from new placements and its current placements need review.
	AlertInadequate AlertKind = "rating_inadequate"
	// AlertDeregistered: a location left CQC's register.
	AlertDeregistered AlertKind = "deregistered"
)

// Alert tells the council's commissioners that something in their market
// needs a person's attention. It stays open until someone acknowledges it.
type Alert struct {
	ID             int64      `json:"id"`
	LocationID     int64      `json:"location_id"`
	LocationName   string     `json:"location_name"`
	CQCLocationID  string     `json:"cqc_location_id"`
	Kind           AlertKind  `json:"kind"`
	Message        string     `json:"message"`
	RaisedAt       time.Time  `json:"raised_at"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
}
