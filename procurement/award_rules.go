package procurement

import (
	"time"

	"github.com/caremarket/caremarket"
)

// The order of a competition: applications close at the deadline; only
// then are they compared, awarded and the award notice published; and
// once the notice is out, the competition is over: no more applications,
// and the marks it was decided on no longer change. An award decided
// while providers could still apply would be made without their bids, and
// a mark changed after the notice would no longer be the mark the notice,
// the assessment summaries and the standstill rest on.

// CheckAwardTime refuses to award places, or to publish the award notice,
// while the window still takes applications: up to and including its
// deadline (a submission at the deadline itself is in time, CheckSubmit).
func CheckAwardTime(w *Window, now time.Time) error {
	if !now.After(w.Deadline) {
		return caremarket.Errorf(caremarket.ECONFLICT,
			"Applications to this window close at %s: awards and the award notice must wait until the deadline has passed",
			w.Deadline.In(London).Format("15:04 on 2 January 2006"))
	}
	return nil
}

// CheckApplicationTime refuses a draft, a submission or a resubmission once
// the window's award notice is published, and otherwise outside the window
// (CheckSubmit).
func CheckApplicationTime(w *Window, now time.Time, noticePublished bool) error {
	if noticePublished {
		return caremarket.Errorf(caremarket.ECONFLICT, "The award notice for this window has been published: it takes no more applications or answers")
	}
	return w.CheckSubmit(now)
}

// CheckResubmissionTime refuses a resubmitted answer once the award notice
// is published (a resubmission is asked for after the deadline, so the
// window's own dates do not apply to it).
func CheckResubmissionTime(noticePublished bool) error {
	if noticePublished {
		return caremarket.Errorf(caremarket.ECONFLICT, "The award notice for this window has been published: answers can no longer be resubmitted")
	}
	return nil
}

// CheckMarksOpen refuses to change a score or a moderated mark once the
// window's award notice is published: the marks are frozen.
func CheckMarksOpen(noticePublished bool) error {
	if noticePublished {
		return caremarket.Errorf(caremarket.ECONFLICT, "The award notice for this window has been published: its marks are final and cannot be changed")
	}
	return nil
}

// CheckModerator says who may agree a final mark: the window's assigned
// moderator, or a commissioner. An admin runs the service, not the
// evaluation, and may not overwrite a moderated mark.
func CheckModerator(role caremarket.Role, windowModerator bool) error {
	if windowModerator || role == caremarket.RoleCommissioner {
		return nil
	}
	return caremarket.Errorf(caremarket.EFORBIDDEN, "Only the window's moderator or a commissioner agrees the final mark")
}
