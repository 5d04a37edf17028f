package server

import (
	"net/http"
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
	must, _ := r.Context().Value(keyMustChangePassword).(bool)
	err := s.changePassword(r, r.PostFormValue("current_password"), r.PostFormValue("password"), r.PostFormValue("confirm"))
	if err != nil {
		if statusOf(err) >= 500 {
			return err
		}
		r.PostForm.Del("current_password") // never echo a password back
		r.PostForm.Del("password")
		r.PostForm.Del("confirm")
		s.render(w, r, statusOf(err), "account_password", "Choose a new password", map[string]bool{"Must": must}, err)
		return nil
	}
	flash(w, "Your password has been changed, and you have been signed out everywhere else")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
