package server

import (
	"net/http"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// passwordPath is where a person chooses their own password; someone signed
// in with a one-time password is sent here before anything else.
const passwordPath = "/account/password"

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) error {
	must, _ := r.Context().Value(keyMustChangePassword).(bool)
	s.render(w, r, http.StatusOK, "account_password", "Choose a new password", map[string]bool{"Must": must}, nil)
	return nil
}

func (s *Server) passwordPost(w http.ResponseWriter, r *http.Request) error {
	a := caremarket.ActorFrom(r.Context())
	must, _ := r.Context().Value(keyMustChangePassword).(bool)
	pw, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	err := access.CheckNewPassword(pw, confirm)
	if err == nil { // not built from the person's email or council
		err = access.ValidatePassword(pw, access.PasswordContext{Email: a.Email, Councils: []string{a.CouncilSlug}})
	}
	if err == nil {
		var hash string
		if hash, err = access.HashPassword(pw); err == nil {
			err = s.Store.SetPassword(r.Context(), a.UserID, hash)
		}
	}
	if err != nil {
		if statusOf(err) >= 500 {
			return err
		}
		r.PostForm.Del("password") // never echo a password back
		r.PostForm.Del("confirm")
		s.render(w, r, statusOf(err), "account_password", "Choose a new password", map[string]bool{"Must": must}, err)
		return nil
	}
	flash(w, "Your password has been changed")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
