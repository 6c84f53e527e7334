// The models the core derives itself (its `uniffi` feature) are generated into their own
// package, `necid.models` (two generated files cannot share a package). These aliases keep
// their names in `necid`, where they have always been.
package necid

typealias ApplicationUpdate = necid.models.ApplicationUpdate
typealias BulkRegistration = necid.models.BulkRegistration
typealias Candidate = necid.models.Candidate
typealias Event = necid.models.Event
typealias EventList = necid.models.EventList
typealias FaceAttributes = necid.models.FaceAttributes
typealias FaceVerification = necid.models.FaceVerification
typealias GalleryUpdate = necid.models.GalleryUpdate
typealias NewApplication = necid.models.NewApplication
typealias NewGallery = necid.models.NewGallery
typealias Point = necid.models.Point
typealias Rect = necid.models.Rect
typealias RegisteredFace = necid.models.RegisteredFace
typealias RenameTagForm = necid.models.RenameTagForm
typealias SearchResult = necid.models.SearchResult
typealias SortDirection = necid.models.SortDirection
typealias Tag = necid.models.Tag
typealias TlsRoots = necid.models.TlsRoots
typealias Verification = necid.models.Verification
