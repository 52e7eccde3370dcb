def alerts_panel(request):
    return None
