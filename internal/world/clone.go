package world

import "slices"

// Clone returns a deep copy of the world: ResolveIssuers fills in a
// world in place, and a reset applies the file as it was read.
func (w *World) Clone() *World {
	if w == nil {
		return nil
	}
	out := &World{Accounts: slices.Clone(w.Accounts)}
	for i := range out.Accounts {
		a := &out.Accounts[i]
		a.Policies = slices.Clone(a.Policies)
		a.Groups = slices.Clone(a.Groups)
		for j := range a.Groups {
			g := &a.Groups[j]
			g.Policies, g.Attached = slices.Clone(g.Policies), slices.Clone(g.Attached)
		}
		a.Users = slices.Clone(a.Users)
		for j := range a.Users {
			u := &a.Users[j]
			u.Groups, u.Policies, u.Attached, u.AccessKeys = slices.Clone(u.Groups), slices.Clone(u.Policies), slices.Clone(u.Attached), slices.Clone(u.AccessKeys)
		}
		a.Roles = slices.Clone(a.Roles)
		for j := range a.Roles {
			r := &a.Roles[j]
			r.Policies, r.Attached = slices.Clone(r.Policies), slices.Clone(r.Attached)
		}
		a.OIDCProviders = slices.Clone(a.OIDCProviders)
		for j := range a.OIDCProviders {
			p := &a.OIDCProviders[j]
			p.ClientIDs, p.Thumbprints = slices.Clone(p.ClientIDs), slices.Clone(p.Thumbprints)
		}
		a.Clusters = slices.Clone(a.Clusters)
		for j := range a.Clusters {
			c := &a.Clusters[j]
			c.PodIdentityAssociations = slices.Clone(c.PodIdentityAssociations)
		}
	}
	return out
}
