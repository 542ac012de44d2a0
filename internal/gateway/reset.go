package gateway

// ResourceRecordKind is the store's record kind of what the gateway
// records of the backend's resources (directory.Resource): a reset keeps
// these records while the backend keeps its resources.
const ResourceRecordKind = kindResource

// ForgetBackend drops what the gateway remembers of the backend's answers
// for a while (resources without a policy, resources' tags, tables' key
// schemas): after the backend was reset they describe resources that
// are gone.
func (g *Gateway) ForgetBackend() {
	g.misses.mu.Lock()
	g.misses.m = nil
	g.misses.mu.Unlock()
	g.tags.mu.Lock()
	g.tags.m = nil
	g.tags.mu.Unlock()
	g.schemas.mu.Lock()
	g.schemas.m = nil
	g.schemas.mu.Unlock()
}
