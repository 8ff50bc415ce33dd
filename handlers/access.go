package handlers

import "github.com/gin-gonic/gin"

// keyed returns the middleware every API-key route runs behind.
// Placeholder until API-key authentication lands; it must not ship like this.
func (s *Server) keyed() []gin.HandlerFunc { return nil }
