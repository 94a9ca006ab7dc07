-- Every community with a given widget, in uuid order: removeAllWidgetsByWidgetDefId and the
-- synchronization reports walk widgets by widgetDefId.
CREATE INDEX widgets_by_def ON widgets (widget_def_id, community_uuid);
